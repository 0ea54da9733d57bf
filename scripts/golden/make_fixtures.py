#!/usr/bin/env python3
"""Generate tiny random Llama checkpoints (Hugging Face layout) and golden reference values.

Run from the repository root:

    /usr/bin/python3 scripts/golden/make_fixtures.py

Needs only PyTorch (Debian's python3-torch). The safetensors files, the tokenizer and the
golden values are all written by hand here; no `safetensors`/`transformers`/`tokenizers`
package is used. The reference forward pass is written from the Llama equations and computed
in float64 from the BF16/F16-rounded weights. Output is deterministic (fixed seeds).

Fixtures written under src/core/test/resources/fixtures/:
  tiny-llama3/  Llama-3.2-like: BF16, GQA (4 query / 2 kv heads), head_dim given, llama3 RoPE
                scaling, tied embeddings, two shards + index, byte-level BPE tokenizer.json.
  tiny-llama2/  Llama-2-like: F16, MHA, no head_dim, linear RoPE scaling, untied lm_head,
                single model.safetensors, no tokenizer.
"""

import json
import math
import re
import struct
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "src" / "core" / "test" / "resources" / "fixtures"

# Greedy golden ids must survive float32 (or other) re-implementations: we require every
# greedy step's top-1/top-2 logit gap to be at least this (stricter than the 1e-3 minimum).
MIN_MARGIN = 5e-2
MAX_SEED_TRIES = 200

# --------------------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------------------

LLAMA3_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "rms_norm_eps": 1e-5,
    "rope_theta": 500000.0,
    "rope_scaling": {
        "rope_type": "llama3",
        "factor": 32.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    },
    "tie_word_embeddings": True,
    "vocab_size": 300,
    "max_position_embeddings": 128,
    "bos_token_id": 1,
    "eos_token_id": [2, 3],
    "torch_dtype": "bfloat16",
    "hidden_act": "silu",
    "attention_bias": False,
    "mlp_bias": False,
}

LLAMA3_GENERATION_CONFIG = {
    "bos_token_id": 1,
    "eos_token_id": [2, 3],
    "do_sample": True,
    "temperature": 0.6,
    "top_p": 0.9,
}

LLAMA2_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 172,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-6,
    "rope_theta": 10000.0,
    "rope_scaling": {"type": "linear", "factor": 2.0},
    "tie_word_embeddings": False,
    "vocab_size": 300,
    "max_position_embeddings": 64,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "torch_dtype": "float16",
    "hidden_act": "silu",
    "attention_bias": False,
    "mlp_bias": False,
}

# Fixed input ids for the Llama-2-like fixture (BOS first, the rest in [4, 300)).
LLAMA2_INPUT_IDS = [1, 57, 283, 14, 199, 96, 161, 240, 33, 118]

# Text whose encoding (after BOS) gives the 11 remaining input ids of the Llama-3-like fixture.
LLAMA3_INPUT_TEXT = "The cat sat on the mat, and the"

TOKENIZER_CASES = [
    "The cat sat on the mat.",
    "Hello world",
    "the theory of everything\nand more",
    "  two  spaces  ",
    "1234 is a number!",
    "it's what they'll do",
    "in the beginning, at the end",
    "Thinking and sitting",
]


def head_dim_of(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def eos_set(cfg):
    e = cfg["eos_token_id"]
    return set(e) if isinstance(e, list) else {e}


# --------------------------------------------------------------------------------------
# Random weights
# --------------------------------------------------------------------------------------

STORAGE_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def make_weights(cfg, seed, embed_std, head_gain):
    """Returns an ordered dict name -> tensor in the storage dtype (BF16 or F16)."""
    gen = torch.Generator().manual_seed(seed)
    dt = STORAGE_DTYPES[cfg["torch_dtype"]]
    H = cfg["hidden_size"]
    I = cfg["intermediate_size"]
    V = cfg["vocab_size"]
    nH = cfg["num_attention_heads"]
    nKV = cfg["num_key_value_heads"]
    hd = head_dim_of(cfg)

    def randn(*shape, std=1.0, mean=0.0):
        t = torch.randn(*shape, generator=gen, dtype=torch.float64) * std + mean
        return t.to(dt)

    def proj(out_f, in_f):
        return randn(out_f, in_f, std=1.0 / math.sqrt(in_f))

    def norm():
        return randn(H, std=0.1, mean=1.0)

    w = {}
    w["model.embed_tokens.weight"] = randn(V, H, std=embed_std)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm()
        w[p + "self_attn.q_proj.weight"] = proj(nH * hd, H)
        w[p + "self_attn.k_proj.weight"] = proj(nKV * hd, H)
        w[p + "self_attn.v_proj.weight"] = proj(nKV * hd, H)
        w[p + "self_attn.o_proj.weight"] = proj(H, nH * hd)
        w[p + "post_attention_layernorm.weight"] = norm()
        w[p + "mlp.gate_proj.weight"] = proj(I, H)
        w[p + "mlp.up_proj.weight"] = proj(I, H)
        w[p + "mlp.down_proj.weight"] = proj(H, I)
    w["model.norm.weight"] = norm()
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = randn(V, H, std=head_gain / math.sqrt(H))
    return w


# --------------------------------------------------------------------------------------
# Safetensors writer / reader (hand-written)
# --------------------------------------------------------------------------------------

SAFETENSORS_DTYPE = {torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        raw = t.view(torch.int16).numpy().astype("<i2")
    elif t.dtype == torch.float16:
        raw = t.numpy().astype("<f2")
    elif t.dtype == torch.float32:
        raw = t.numpy().astype("<f4")
    else:
        raise ValueError(t.dtype)
    return raw.tobytes()


def write_safetensors(path, tensors):
    """tensors: ordered dict name -> tensor. Data is laid out contiguously in header order."""
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {
            "dtype": SAFETENSORS_DTYPE[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(b)],
        }
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = {"format": "pt"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    return offset


def read_safetensors(path):
    """Independent reader used to self-check the written files; returns name -> float64 tensor."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    out = {}
    expected = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        assert begin == expected, f"{name}: not contiguous"
        expected = end
        chunk = bytearray(body[begin:end])
        if info["dtype"] == "BF16":
            t = torch.frombuffer(chunk, dtype=torch.int16).view(torch.bfloat16)
        elif info["dtype"] == "F16":
            t = torch.frombuffer(chunk, dtype=torch.float16)
        else:
            t = torch.frombuffer(chunk, dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).to(torch.float64)
    assert expected == len(body), f"{path}: trailing bytes"
    return out


# --------------------------------------------------------------------------------------
# Reference forward pass (float64, from the equations)
# --------------------------------------------------------------------------------------


def rope_inv_freq(cfg):
    hd = head_dim_of(cfg)
    theta = float(cfg["rope_theta"])
    inv = [1.0 / theta ** (2.0 * i / hd) for i in range(hd // 2)]
    rs = cfg.get("rope_scaling")
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        factor = float(rs["factor"])
        if kind == "linear":
            inv = [f / factor for f in inv]
        elif kind == "llama3":
            orig = float(rs["original_max_position_embeddings"])
            lo = float(rs["low_freq_factor"])
            hi = float(rs["high_freq_factor"])
            low_freq_wavelen = orig / lo
            high_freq_wavelen = orig / hi
            scaled = []
            for f in inv:
                wavelen = 2.0 * math.pi / f
                if wavelen < high_freq_wavelen:
                    scaled.append(f)
                elif wavelen > low_freq_wavelen:
                    scaled.append(f / factor)
                else:
                    smooth = (orig / wavelen - lo) / (hi - lo)
                    scaled.append((1.0 - smooth) * f / factor + smooth * f)
            inv = scaled
        else:
            raise ValueError(kind)
    return torch.tensor(inv, dtype=torch.float64)


def rmsnorm(x, w, eps):
    ms = (x * x).mean(dim=-1, keepdim=True)
    return w * (x / torch.sqrt(ms + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def silu(z):
    return z / (1.0 + torch.exp(-z))


class Reference:
    def __init__(self, cfg, weights64):
        self.cfg = cfg
        self.w = weights64
        self.inv_freq = rope_inv_freq(cfg)
        self.head = weights64["lm_head.weight"] if "lm_head.weight" in weights64 \
            else weights64["model.embed_tokens.weight"]

    def hidden_states(self, ids, num_layers):
        """Residual stream after each of the first num_layers layers: list of [T, H]."""
        cfg, w = self.cfg, self.w
        eps = cfg["rms_norm_eps"]
        nH = cfg["num_attention_heads"]
        nKV = cfg["num_key_value_heads"]
        hd = head_dim_of(cfg)
        group = nH // nKV
        T = len(ids)
        x = w["model.embed_tokens.weight"][torch.tensor(ids)]
        pos = torch.arange(T, dtype=torch.float64)
        ang = pos[:, None] * self.inv_freq[None, :]
        cos = torch.cat([torch.cos(ang), torch.cos(ang)], dim=-1)  # [T, hd]
        sin = torch.cat([torch.sin(ang), torch.sin(ang)], dim=-1)
        future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        outs = []
        for l in range(num_layers):
            p = f"model.layers.{l}."
            a = rmsnorm(x, w[p + "input_layernorm.weight"], eps)
            q = (a @ w[p + "self_attn.q_proj.weight"].T).reshape(T, nH, hd).transpose(0, 1)
            k = (a @ w[p + "self_attn.k_proj.weight"].T).reshape(T, nKV, hd).transpose(0, 1)
            v = (a @ w[p + "self_attn.v_proj.weight"].T).reshape(T, nKV, hd).transpose(0, 1)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            heads = []
            for h in range(nH):
                kv = h // group
                s = (q[h] @ k[kv].T) / math.sqrt(hd)
                s = s.masked_fill(future, float("-inf"))
                s = s - s.max(dim=-1, keepdim=True).values
                e = torch.exp(s)
                prob = e / e.sum(dim=-1, keepdim=True)
                heads.append(prob @ v[kv])  # [T, hd]
            attn = torch.cat(heads, dim=-1)  # [T, nH*hd], head-major
            hmid = x + attn @ w[p + "self_attn.o_proj.weight"].T
            m = rmsnorm(hmid, w[p + "post_attention_layernorm.weight"], eps)
            gate = m @ w[p + "mlp.gate_proj.weight"].T
            up = m @ w[p + "mlp.up_proj.weight"].T
            x = hmid + (silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
            outs.append(x)
        return outs

    def logits_from_hidden(self, x):
        xn = rmsnorm(x, self.w["model.norm.weight"], self.cfg["rms_norm_eps"])
        return xn @ self.head.T

    def all_exit_logits(self, ids):
        hs = self.hidden_states(ids, self.cfg["num_hidden_layers"])
        return {e: self.logits_from_hidden(hs[e - 1]) for e in range(1, len(hs) + 1)}

    def greedy(self, prompt, exit_layer, max_new, eos):
        seq = list(prompt)
        out, margins = [], []
        for _ in range(max_new):
            x = self.hidden_states(seq, exit_layer)[exit_layer - 1][-1]
            lg = self.logits_from_hidden(x)
            top = torch.topk(lg, 2)
            margins.append(float(top.values[0] - top.values[1]))
            t = int(top.indices[0])
            out.append(t)
            seq.append(t)
            if t in eos:
                break
        return out, margins


def nll_of(logits, ids):
    lse = torch.logsumexp(logits[:-1], dim=-1)
    tgt = logits[:-1].gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
    return float((lse - tgt).mean())


# --------------------------------------------------------------------------------------
# Byte-level BPE tokenizer (fixture A)
# --------------------------------------------------------------------------------------

SPECIAL_TOKENS = ["<unk>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]

# 40 merges in rank order; every part exists earlier in the vocabulary.
MERGES = [
    ("Ġ", "t"), ("h", "e"), ("Ġ", "a"), ("i", "n"), ("Ġt", "he"),
    ("e", "r"), ("o", "n"), ("Ġ", "s"), ("r", "e"), ("a", "t"),
    ("e", "n"), ("Ġ", "w"), ("Ġ", "o"), ("o", "r"), ("i", "s"),
    ("Ġ", "c"), ("e", "s"), ("a", "n"), ("in", "g"), ("Ġ", "b"),
    ("Ġ", "f"), ("e", "d"), ("Ġ", "i"), ("o", "u"), ("Ġ", "m"),
    ("Ġ", "d"), ("Ġa", "n"), ("Ġan", "d"), ("Ġo", "f"), ("Ġt", "o"),
    ("Ġi", "n"), ("l", "l"), ("a", "r"), ("Ġ", "h"), ("Ġ", "l"),
    ("i", "t"), ("Ġc", "at"), ("Ġs", "at"), ("T", "he"), ("Ġthe", "r"),
]


def bytes_to_unicode():
    """GPT-2 byte -> printable character mapping."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    mapping = {}
    n = 0
    for b in range(256):
        if b in printable:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + n)
            n += 1
    return mapping


def build_vocab():
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    b2u = bytes_to_unicode()
    for b in range(256):
        vocab[b2u[b]] = 4 + b
    for a, b in MERGES:
        assert a in vocab and b in vocab, (a, b)
        merged = a + b
        assert merged not in vocab, merged
        vocab[merged] = len(vocab)
    assert len(vocab) == 300 and sorted(vocab.values()) == list(range(300))
    return vocab


# GPT-2 pre-tokenization regex restricted to ASCII input (\p{L} -> [A-Za-z], \p{N} -> [0-9]).
PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bpe_encode(text, vocab, bos=True):
    assert text.isascii() and "\x0b" not in text and "\x0c" not in text
    b2u = bytes_to_unicode()
    ranks = {pair: r for r, pair in enumerate(MERGES)}
    ids = [1] if bos else []
    for piece in PRETOKENIZE.findall(text):
        symbols = [b2u[b] for b in piece.encode("utf-8")]
        while len(symbols) > 1:
            best = None
            for j in range(len(symbols) - 1):
                r = ranks.get((symbols[j], symbols[j + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, j)
            if best is None:
                break
            j = best[1]
            symbols[j:j + 2] = [symbols[j] + symbols[j + 1]]
        ids.extend(vocab[s] for s in symbols)
    return ids


def bpe_decode(ids, vocab):
    u2b = {u: b for b, u in bytes_to_unicode().items()}
    inv = {i: t for t, i in vocab.items()}
    out = bytearray()
    for i in ids:
        if i < len(SPECIAL_TOKENS):
            continue
        out.extend(u2b[c] for c in inv[i])
    return out.decode("utf-8")


def tokenizer_json(vocab):
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, c in enumerate(SPECIAL_TOKENS)]
    bos = "<|begin_of_text|>"

    def seq(name):
        return [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": name, "type_id": 0}}]

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": seq("A"),
            "pair": seq("A") + [{"SpecialToken": {"id": bos, "type_id": 1}},
                                {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [1], "tokens": [bos]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in MERGES],
        },
    }


# --------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------


def r8(v):
    return float(f"{v:.8g}")


def write_json(path, obj):
    Path(path).write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_golden(path, golden):
    """Like json.dumps(indent=2) but each logits row on a single line (keeps the file small)."""
    lines = ["{"]
    keys = list(golden.keys())
    for ki, key in enumerate(keys):
        comma = "," if ki < len(keys) - 1 else ""
        val = golden[key]
        if key == "logits":
            lines.append(f'  "logits": {{')
            exits = list(val.keys())
            for ei, e in enumerate(exits):
                lines.append(f'    "{e}": [')
                rows = val[e]
                for ri, row in enumerate(rows):
                    rc = "," if ri < len(rows) - 1 else ""
                    lines.append("      " + json.dumps(row, separators=(",", ":")) + rc)
                lines.append("    ]" + ("," if ei < len(exits) - 1 else ""))
            lines.append("  }" + comma)
        elif key == "greedy":
            lines.append('  "greedy": [')
            for gi, g in enumerate(val):
                gc = "," if gi < len(val) - 1 else ""
                lines.append("    " + json.dumps(g, separators=(", ", ": ")) + gc)
            lines.append("  ]" + comma)
        elif key in ("input_ids", "rope_inv_freq"):
            lines.append(f'  "{key}": ' + json.dumps(val, separators=(", ", ": ")) + comma)
        else:
            body = json.dumps(val, indent=2).replace("\n", "\n  ")
            lines.append(f'  "{key}": {body}{comma}')
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # sanity
    Path(path).write_text(text, encoding="utf-8")


def to64(weights):
    return {k: v.to(torch.float64) for k, v in weights.items()}


# --------------------------------------------------------------------------------------
# Fixture construction
# --------------------------------------------------------------------------------------


def search_seed(name, cfg, base_seed, embed_std, head_gain, input_ids, greedy_exits):
    """Picks the first seed >= base_seed whose greedy runs all have a top-2 margin >= MIN_MARGIN."""
    eos = eos_set(cfg)
    for seed in range(base_seed, base_seed + MAX_SEED_TRIES):
        weights = make_weights(cfg, seed, embed_std, head_gain)
        ref = Reference(cfg, to64(weights))
        runs = []
        ok = True
        for e in greedy_exits:
            toks, margins = ref.greedy(input_ids[:5], e, 20, eos)
            runs.append((e, toks, margins))
            if min(margins) < MIN_MARGIN:
                ok = False
                break
        if ok:
            return seed, weights, ref, runs
        print(f"[{name}] seed {seed}: greedy margin {min(runs[-1][2]):.3g} < {MIN_MARGIN}, retrying")
    raise SystemExit(f"[{name}] no robust seed found")


def build_fixture(name, cfg, base_seed, embed_std, head_gain, input_ids, shards, gen_config, tokenizer):
    out = FIXTURES / name
    out.mkdir(parents=True, exist_ok=True)
    L = cfg["num_hidden_layers"]
    greedy_exits = [L, 2]
    seed, weights, ref, runs = search_seed(name, cfg, base_seed, embed_std, head_gain, input_ids, greedy_exits)
    print(f"[{name}] seed {seed}")

    # Config files.
    write_json(out / "config.json", cfg)
    if gen_config is not None:
        write_json(out / "generation_config.json", gen_config)

    # Weights.
    if shards is None:
        write_safetensors(out / "model.safetensors", weights)
        files = ["model.safetensors"]
    else:
        total = 0
        weight_map = {}
        files = []
        for shard_name, predicate in shards:
            part = {k: v for k, v in weights.items() if predicate(k)}
            total += write_safetensors(out / shard_name, part)
            for k in part:
                weight_map[k] = shard_name
            files.append(shard_name)
        assert set(weight_map) == set(weights), "every tensor must be in exactly one shard"
        write_json(out / "model.safetensors.index.json",
                   {"metadata": {"total_size": total}, "weight_map": weight_map})

    # Self-check: re-read what was written and compare with the reference weights.
    reread = {}
    for f in files:
        part = read_safetensors(out / f)
        assert not (set(part) & set(reread))
        reread.update(part)
    w64 = to64(weights)
    assert set(reread) == set(w64)
    for k in w64:
        assert torch.equal(reread[k], w64[k]), k

    # Tokenizer (fixture A only).
    if tokenizer is not None:
        vocab = build_vocab()
        write_json(out / "tokenizer.json", tokenizer_json(vocab))
        write_json(out / "tokenizer_config.json", {
            "add_bos_token": True,
            "bos_token": "<|begin_of_text|>",
            "eos_token": "<|end_of_text|>",
        })
        write_json(out / "special_tokens_map.json", {
            "bos_token": "<|begin_of_text|>",
            "eos_token": "<|end_of_text|>",
        })
        cases = []
        for text in tokenizer["cases"]:
            ids = bpe_encode(text, vocab)
            assert bpe_decode(ids, vocab) == text
            cases.append({"text": text, "ids": ids})
        write_json(out / "tokenizer_golden.json", {
            "note": "ids include the BOS added by the post-processor; decode(ids, skip special) == text",
            "cases": cases,
        })

    # Golden values.
    logits = ref.all_exit_logits(input_ids)
    eos = eos_set(cfg)
    golden = {"input_ids": input_ids, "logits": {}, "nll": {}, "perplexity": {}, "greedy": [],
              # Extra (not needed by the logits tests): the scaled RoPE inverse frequencies.
              "rope_inv_freq": [float(f) for f in ref.inv_freq.tolist()]}
    for e in range(1, L + 1):
        golden["logits"][str(e)] = [[r8(v) for v in row.tolist()] for row in logits[e]]
    for e in range(1, L + 1):
        nll = nll_of(logits[e], input_ids)
        golden["nll"][str(e)] = nll
        golden["perplexity"][str(e)] = math.exp(nll)
    for e, toks, margins in runs:
        golden["greedy"].append({
            "exit_layer": e,
            "prompt_ids": input_ids[:5],
            "max_new_tokens": 20,
            "token_ids": toks,
            "min_top2_margin": r8(min(margins)),
        })
    write_golden(out / "golden.json", golden)

    # Report.
    print(f"[{name}] input_ids {input_ids}")
    for e in range(1, L + 1):
        print(f"[{name}] exit {e}: nll {golden['nll'][str(e)]:.8f}  ppl {golden['perplexity'][str(e)]:.6g}"
              f"  logit std {float(logits[e].std()):.3f}")
    for e, toks, margins in runs:
        stop = "eos" if toks[-1] in eos else "max_new_tokens"
        print(f"[{name}] greedy exit {e}: {toks} ({len(toks)} tokens, stop={stop})")
        print(f"[{name}]   margins: {' '.join(f'{m:.3g}' for m in margins)}  min {min(margins):.4g}")
    return out


def main():
    torch.manual_seed(0)  # not used directly (explicit generators), set for good measure
    torch.set_num_threads(1)

    vocab = build_vocab()
    a_ids = bpe_encode(LLAMA3_INPUT_TEXT, vocab)
    assert len(a_ids) == 12, f"input text encodes to {len(a_ids)} ids, need 12: {a_ids}"
    assert a_ids[0] == 1 and all(4 <= i < 300 for i in a_ids[1:])
    assert len(LLAMA2_INPUT_IDS) == 10 and all(4 <= i < 300 for i in LLAMA2_INPUT_IDS[1:])

    def layer_of(name):
        m = re.match(r"model\.layers\.(\d+)\.", name)
        return int(m.group(1)) if m else None

    shards_a = [
        ("model-00001-of-00002.safetensors",
         lambda k: k == "model.embed_tokens.weight" or (layer_of(k) is not None and layer_of(k) < 2)),
        ("model-00002-of-00002.safetensors",
         lambda k: k == "model.norm.weight" or (layer_of(k) is not None and layer_of(k) >= 2)),
    ]
    # Seeds and scales were picked by a scan (see README): tied embeddings with std 1.0 make a
    # random model repeat one token forever with logits spread ~8 (nll ~35), so fixture A uses
    # embedding std 0.25 (logit spread ~2); seed 1038 gives a greedy run that stops on the second
    # eos id (3) at exit 2. Fixture B (untied) uses lm_head std 2/sqrt(H); seed 5788 gives a run
    # that stops on eos 2 at the last exit and a full 20-token run at exit 2. Both have every
    # greedy top-2 margin >= MIN_MARGIN; if a seed ever fails that, the next seed is used.
    build_fixture("tiny-llama3", LLAMA3_CONFIG, 1038, 0.25, 1.0, a_ids, shards_a, LLAMA3_GENERATION_CONFIG,
                  {"cases": [LLAMA3_INPUT_TEXT] + TOKENIZER_CASES})
    build_fixture("tiny-llama2", LLAMA2_CONFIG, 5788, 1.0, 2.0, LLAMA2_INPUT_IDS, None, None, None)

    total = 0
    for d in ("tiny-llama3", "tiny-llama2"):
        for f in sorted((FIXTURES / d).iterdir()):
            size = f.stat().st_size
            total += size
            print(f"{size:>9}  {f.relative_to(ROOT)}")
    print(f"{total:>9}  total")


if __name__ == "__main__":
    sys.exit(main())
