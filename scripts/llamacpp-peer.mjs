// Run by hand (never in the tests): llama.cpp on the same weights as this library, for the int8 comparison of
// docs/int8.md. Two steps, each one process:
//   npm install --prefix /tmp/llamacpp node-llama-cpp@3.21.1      (once; prebuilt CPU binaries, no compiler)
//   node scripts/llamacpp-peer.mjs convert CKPT_DIR OUT.gguf q8_0|f16
//   NODE_PATH=/tmp/llamacpp/node_modules node scripts/llamacpp-peer.mjs bench OUT.gguf [threads=2]
// `convert` writes a GGUF (v3) of a Llama safetensors checkpoint (F32/F16/BF16, one file) as llama.cpp's own converter
// lays it out: q/k rows permuted for llama.cpp's RoPE, Llama 3 RoPE scaling as a rope_freqs tensor, norms F32,
// every matrix (embedding included) Q8_0 (blocks of 32 weights, one f16 scale each) or F16. The tokenizer.json's
// byte-level BPE becomes tokenizer.ggml.* (padded with unused tokens up to the model's vocabulary).
// `bench` measures, with greedy decoding and `threads` threads: prefill of 512 tokens (tokens/s), then 4 prompts of 8
// tokens each followed by 32 generated tokens (decode tokens/s from the first generated token on), twice.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

// ---- GGUF writing -------------------------------------------------------------------------------------------------
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, STRING: 8, ARRAY: 9 };
const GGML = { F32: 0, F16: 1, Q8_0: 8 };

function convert(dir, out, outtype) {
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  const st = readSafetensors(path.join(dir, "model.safetensors"));
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads ?? heads;
  const headDim = config.head_dim ?? config.hidden_size / heads;
  const matrix = outtype === "q8_0" ? GGML.Q8_0 : GGML.F16;
  const tensors = []; // {name, dims (GGUF order: fastest first), type, rows: () => Float32Array of [out, in]}
  const add = (name, hf, type, permuteHeads) => {
    const info = st.tensors[hf];
    if (!info) throw new Error(`${dir}: missing tensor ${hf}`);
    const shape = info.shape;
    tensors.push({ name, dims: [...shape].reverse(), type: shape.length === 1 ? GGML.F32 : type,
      values: () => { const v = st.read(hf); return permuteHeads ? permute(v, shape, permuteHeads) : v; } });
  };
  add("token_embd.weight", "model.embed_tokens.weight", matrix);
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    add(`blk.${l}.attn_norm.weight`, p + "input_layernorm.weight");
    add(`blk.${l}.attn_q.weight`, p + "self_attn.q_proj.weight", matrix, heads);
    add(`blk.${l}.attn_k.weight`, p + "self_attn.k_proj.weight", matrix, kvHeads);
    add(`blk.${l}.attn_v.weight`, p + "self_attn.v_proj.weight", matrix);
    add(`blk.${l}.attn_output.weight`, p + "self_attn.o_proj.weight", matrix);
    add(`blk.${l}.ffn_norm.weight`, p + "post_attention_layernorm.weight");
    add(`blk.${l}.ffn_gate.weight`, p + "mlp.gate_proj.weight", matrix);
    add(`blk.${l}.ffn_up.weight`, p + "mlp.up_proj.weight", matrix);
    add(`blk.${l}.ffn_down.weight`, p + "mlp.down_proj.weight", matrix);
  }
  add("output_norm.weight", "model.norm.weight");
  if (!config.tie_word_embeddings) add("output.weight", "lm_head.weight", matrix);
  const rs = config.rope_scaling;
  if (rs && (rs.rope_type ?? rs.type) === "llama3") {
    const freqs = llama3RopeFactors(config.rope_theta, headDim, rs);
    tensors.push({ name: "rope_freqs.weight", dims: [freqs.length], type: GGML.F32, values: () => freqs });
  }
  const kv = metadata(config, headDim, kvHeads, matrix, readTokenizer(dir, config.vocab_size));
  writeGguf(out, kv, tensors);
}

/** llama.cpp's RoPE wants each head's rows interleaved (even/odd) where Hugging Face keeps two halves. */
function permute(v, [rows, cols], nHeads) {
  const out = new Float32Array(v.length);
  const hd = rows / nHeads;
  for (let h = 0; h < nHeads; h++) {
    for (let a = 0; a < 2; a++) {
      for (let b = 0; b < hd / 2; b++) {
        const from = (h * hd + a * (hd / 2) + b) * cols;
        out.set(v.subarray(from, from + cols), (h * hd + 2 * b + a) * cols);
      }
    }
  }
  return out;
}

/** Llama 3's frequency-dependent RoPE scaling, as the divisor per frequency that llama.cpp reads from rope_freqs. */
function llama3RopeFactors(base, dim, rs) {
  const lowWavelen = rs.original_max_position_embeddings / rs.low_freq_factor;
  const highWavelen = rs.original_max_position_embeddings / rs.high_freq_factor;
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const wavelen = (2 * Math.PI) * Math.pow(base, (2 * i) / dim);
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = rs.factor;
    else {
      const smooth = (rs.original_max_position_embeddings / wavelen - rs.low_freq_factor)
        / (rs.high_freq_factor - rs.low_freq_factor);
      out[i] = 1 / ((1 - smooth) / rs.factor + smooth);
    }
  }
  return out;
}

function metadata(config, headDim, kvHeads, matrix, tok) {
  const eos = Array.isArray(config.eos_token_id) ? config.eos_token_id[0] : config.eos_token_id;
  return [
    ["general.architecture", T.STRING, "llama"],
    ["general.name", T.STRING, "layerskip-peer"],
    ["general.file_type", T.UINT32, matrix === GGML.Q8_0 ? 7 : 1],
    ["llama.context_length", T.UINT32, Math.min(config.max_position_embeddings, 131072)],
    ["llama.embedding_length", T.UINT32, config.hidden_size],
    ["llama.block_count", T.UINT32, config.num_hidden_layers],
    ["llama.feed_forward_length", T.UINT32, config.intermediate_size],
    ["llama.attention.head_count", T.UINT32, config.num_attention_heads],
    ["llama.attention.head_count_kv", T.UINT32, kvHeads],
    ["llama.attention.key_length", T.UINT32, headDim],
    ["llama.attention.value_length", T.UINT32, headDim],
    ["llama.rope.dimension_count", T.UINT32, headDim],
    ["llama.rope.freq_base", T.FLOAT32, config.rope_theta ?? 10000],
    ["llama.attention.layer_norm_rms_epsilon", T.FLOAT32, config.rms_norm_eps],
    ["llama.vocab_size", T.UINT32, config.vocab_size],
    ["tokenizer.ggml.model", T.STRING, "gpt2"],
    ["tokenizer.ggml.pre", T.STRING, "default"],
    ["tokenizer.ggml.tokens", T.ARRAY, [T.STRING, tok.tokens]],
    ["tokenizer.ggml.token_type", T.ARRAY, [T.INT32, tok.types]],
    ["tokenizer.ggml.merges", T.ARRAY, [T.STRING, tok.merges]],
    ["tokenizer.ggml.bos_token_id", T.UINT32, config.bos_token_id ?? 1],
    ["tokenizer.ggml.eos_token_id", T.UINT32, eos ?? 2],
  ];
}

function readTokenizer(dir, vocabSize) {
  const t = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  if (t.model?.type !== "BPE") throw new Error("tokenizer.json: only byte-level BPE tokenizers convert");
  const tokens = new Array(vocabSize);
  const types = new Array(vocabSize).fill(5); // unused, until a vocabulary entry fills it
  for (const [text, id] of Object.entries(t.model.vocab)) {
    if (id < vocabSize) { tokens[id] = text; types[id] = 1; }
  }
  for (const a of t.added_tokens ?? []) {
    if (a.id < vocabSize) { tokens[a.id] = a.content; types[a.id] = a.special ? 3 : 4; }
  }
  for (let i = 0; i < vocabSize; i++) tokens[i] ??= `<|unused_${i}|>`;
  const merges = t.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
  return { tokens, types, merges };
}

function writeGguf(out, kv, tensors) {
  const align = 32;
  const fd = fs.openSync(out, "w");
  const head = new Chunks();
  head.u32(0x46554747).u32(3).u64(tensors.length).u64(kv.length);
  for (const [key, type, value] of kv) {
    head.str(key).u32(type);
    head.value(type, value);
  }
  let offset = 0;
  for (const t of tensors) {
    t.bytes = tensorBytes(t);
    head.str(t.name).u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type).u64(offset);
    t.offset = offset;
    offset += Math.ceil(t.bytes / align) * align;
  }
  head.pad(align);
  fs.writeSync(fd, head.bytes());
  for (const t of tensors) {
    const data = encode(t.values(), t.type);
    fs.writeSync(fd, data);
    fs.writeSync(fd, Buffer.alloc(Math.ceil(t.bytes / align) * align - t.bytes));
  }
  fs.closeSync(fd);
  console.log(`wrote ${out}: ${tensors.length} tensors, ${(fs.statSync(out).size / 1e9).toFixed(2)} GB`);
}

function tensorBytes(t) {
  const n = t.dims.reduce((a, b) => a * b, 1);
  return t.type === GGML.F32 ? 4 * n : t.type === GGML.F16 ? 2 * n : (n / 32) * 34;
}

function encode(v, type) {
  if (type === GGML.F32) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (type === GGML.F16) {
    const b = Buffer.alloc(2 * v.length);
    for (let i = 0; i < v.length; i++) b.writeUInt16LE(toHalf(v[i]), 2 * i);
    return b;
  }
  const b = Buffer.alloc((v.length / 32) * 34); // Q8_0: d = max|x| / 127 as f16, q = round(x / d)
  for (let blk = 0; blk < v.length / 32; blk++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(v[32 * blk + j]));
    const d = amax / 127;
    const id = d ? 1 / d : 0;
    b.writeUInt16LE(toHalf(d), 34 * blk);
    for (let j = 0; j < 32; j++) b.writeInt8(Math.round(v[32 * blk + j] * id), 34 * blk + 2 + j);
  }
  return b;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toHalf(x) { // round to nearest even, as numpy's float16
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

class Chunks {
  constructor() { this.parts = []; this.size = 0; }
  push(b) { this.parts.push(b); this.size += b.length; return this; }
  u32(x) { const b = Buffer.alloc(4); b.writeUInt32LE(x); return this.push(b); }
  i32(x) { const b = Buffer.alloc(4); b.writeInt32LE(x); return this.push(b); }
  f32(x) { const b = Buffer.alloc(4); b.writeFloatLE(x); return this.push(b); }
  u64(x) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(x)); return this.push(b); }
  str(s) { const b = Buffer.from(s, "utf8"); return this.u64(b.length).push(b); }
  value(type, v) {
    if (type === T.STRING) return this.str(v);
    if (type === T.UINT32) return this.u32(v);
    if (type === T.INT32) return this.i32(v);
    if (type === T.FLOAT32) return this.f32(v);
    const [elem, items] = v; // ARRAY
    this.u32(elem).u64(items.length);
    for (const item of items) this.value(elem, item);
    return this;
  }
  pad(align) { const r = this.size % align; return r ? this.push(Buffer.alloc(align - r)) : this; }
  bytes() { return Buffer.concat(this.parts); }
}

function readSafetensors(file) {
  const fd = fs.openSync(file, "r");
  const len = Buffer.alloc(8);
  fs.readSync(fd, len, 0, 8, 0);
  const n = Number(len.readBigUInt64LE());
  const header = Buffer.alloc(n);
  fs.readSync(fd, header, 0, n, 8);
  const tensors = JSON.parse(header.toString("utf8"));
  const read = (name) => {
    const { dtype, data_offsets: [from, to] } = tensors[name];
    const raw = Buffer.alloc(to - from);
    for (let done = 0; done < raw.length;) {
      done += fs.readSync(fd, raw, done, Math.min(1 << 30, raw.length - done), 8 + n + from + done);
    }
    if (dtype === "F32") return new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4).slice();
    const out = new Float32Array(raw.length / 2);
    const words = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    if (dtype === "BF16") {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < words.length; i++) bits[i] = words[i] << 16;
    } else if (dtype === "F16") {
      for (let i = 0; i < words.length; i++) out[i] = fromHalf(words[i]);
    } else {
      throw new Error(`${file}: tensor ${name} is ${dtype}; convert a float checkpoint`);
    }
    return out;
  };
  return { tensors, read };
}

function fromHalf(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// ---- benchmark ----------------------------------------------------------------------------------------------------
async function bench(gguf, threads) {
  const require = createRequire(process.env.NODE_PATH ? process.env.NODE_PATH + "/" : import.meta.url);
  const { getLlama } = await import(require.resolve("node-llama-cpp"));
  const llama = await getLlama({ gpu: false, build: "never" });
  const start = performance.now();
  const model = await llama.loadModel({ modelPath: gguf, useMmap: true });
  const loadSeconds = (performance.now() - start) / 1000;
  const context = await model.createContext({ contextSize: 1024, batchSize: 512, threads });
  const sequence = context.getSequence();
  const vocab = Math.min(model.fileInsights.tensorInfo?.find((t) => t.name === "token_embd.weight")?.dimensions?.[1] ?? 4096, 4096);
  let seed = 7;
  const ids = (n) => Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 2147483648) % (vocab - 8) + 4);
  const report = { gguf: path.basename(gguf), threads, load_s: +loadSeconds.toFixed(1), runs: [] };
  for (let repeat = 0; repeat < 2; repeat++) {
    await sequence.clearHistory();
    const prefill = ids(512);
    let t0 = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(prefill);
    const prefillTps = 512 / ((performance.now() - t0) / 1000);
    let decoded = 0;
    let decodeMs = 0;
    for (let p = 0; p < 4; p++) {
      await sequence.clearHistory();
      let first = 0;
      let n = 0;
      for await (const token of sequence.evaluate(ids(8), { temperature: 0 })) {
        void token;
        n++;
        if (n === 1) first = performance.now();
        if (n === 33) break;
      }
      decoded += n - 1;
      decodeMs += performance.now() - first;
    }
    report.runs.push({ prefill_512_tok_s: +prefillTps.toFixed(1), decode_tok_s: +(decoded / (decodeMs / 1000)).toFixed(2) });
  }
  console.log(JSON.stringify(report));
  await context.dispose();
  await model.dispose();
}

// ---- entry point ------------------------------------------------------------------------------------------------
const [mode, ...args] = process.argv.slice(2);
if (mode === "convert") {
  convert(args[0], args[1], args[2] ?? "q8_0");
} else if (mode === "bench") {
  await bench(args[0], Number(args[1] ?? 2));
} else {
  console.error("usage: llamacpp-peer.mjs convert CKPT_DIR OUT.gguf q8_0|f16 | bench OUT.gguf [threads]");
  process.exit(2);
}
