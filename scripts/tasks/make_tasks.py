#!/usr/bin/env python3
"""One-off generator of the shipped task files in tasks/ (outputs committed; tests never run this).

Reads the documents that models/recipes/demo-layerskip.json holds out of training (same corpus
walk and same path hash as dev.layerskip.train.TokenCorpus), parses them with the standard
library's ast module and writes two JSONL task files:

  tasks/python-body-completion.jsonl       signature (+ docstring) -> the first 3 lines of the body
  tasks/python-docstring-to-signature.jsonl docstring as comments + keyword -> the rest of the def/class line

Usage (from the repository root; needs Debian's libpython3.11-stdlib for the corpus):
  python3 scripts/tasks/make_tasks.py [--count 200] [--seed 13]
"""
import argparse
import ast
import json
import os
import random
import textwrap

RECIPE = "models/recipes/demo-layerskip.json"
MAX_PROMPT_CHARS = 1200
MAX_DOC_LINES = 12
BODY_LINES = 3


def java_string_hash(s):
    h = 0
    data = s.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] | (data[i + 1] << 8))) & 0xFFFFFFFF
    return h


def to_int32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= (1 << 31) else v


def is_held_out(relative_name, fraction):
    product = to_int32(to_int32(java_string_hash(relative_name)) * to_int32(0x9E3779B9))
    return product % 10000 < fraction * 10000  # Python's % is Java's Math.floorMod for a positive divisor


def held_out_documents(data):
    out = []
    for root in data["paths"]:
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            for name in filenames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                if data["extensions"] and not any(path.endswith(e) for e in data["extensions"]):
                    continue
                if any(x in path for x in data["exclude"]):
                    continue
                files.append(path)
        for path in sorted(files):
            if is_held_out(os.path.relpath(path, root), data["held_out_fraction"]):
                out.append((root, path))
    return out


def body_example(lines, node, rel):
    """signature (+ docstring when there is one) -> the first BODY_LINES non-blank lines after it."""
    has_doc = ast.get_docstring(node) is not None
    if len(node.body) < (2 if has_doc else 1):
        return None
    # the prompt ends after the docstring, or after the signature when there is none
    head_end = node.body[0].end_lineno if has_doc else node.body[0].lineno - 1
    indent = len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip())
    head = lines[node.lineno - 1:head_end]
    if not head or len(head) > MAX_DOC_LINES + 3:
        return None
    if not has_doc and not head[-1].rstrip().endswith(":"):
        return None  # a one-line function ("def f(): return 1"): no body lines to predict
    # the prompt ends at the end of the line, without its newline: the tokenizer joins a newline with the
    # next line's indentation into one token, so a prompt ending in a bare newline would start the body
    # with a token split the model never saw in training
    prompt = textwrap.dedent("\n".join(l[indent:] if l[:indent].strip() == "" else l for l in head))
    body = []
    for l in lines[head_end:node.end_lineno]:
        if l.strip() == "":
            continue
        body.append(l[indent:].rstrip())
        if len(body) == BODY_LINES:
            break
    if len(body) < BODY_LINES or len(prompt) > MAX_PROMPT_CHARS:
        return None
    return {"id": f"{rel}:{node.lineno}:{node.name}", "prompt": prompt, "reference": "\n" + "\n".join(body) + "\n"}


def signature_example(lines, node, rel):
    """docstring (first paragraph, at most 6 lines) as comment lines, then def/class -> the rest of that line."""
    doc = ast.get_docstring(node)
    if doc is None:
        return None
    sig = lines[node.lineno - 1].strip()
    if not sig.endswith(":") or len(sig) > 120 or "#" in sig:
        return None  # only signatures that fit on one line
    paragraph = doc.strip().split("\n\n")[0].splitlines()[:6]
    if not paragraph or len(paragraph[0]) < 10:
        return None
    # the prompt ends with the keyword (def, async def, class) so the model continues the same line: a
    # prompt ending in a newline lets it start with a blank line, which the stop at a newline would cut
    keyword = sig[:sig.index(" ")] if not sig.startswith("async def ") else "async def"
    prompt = "".join("# " + l.strip() + "\n" for l in paragraph) + keyword
    if len(prompt) > MAX_PROMPT_CHARS:
        return None
    return {"id": f"{rel}:{node.lineno}:{node.name}", "prompt": prompt, "reference": sig[len(keyword):] + "\n", "stop": "\n"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default="tasks")
    args = parser.parse_args()
    with open(RECIPE, encoding="utf-8") as f:
        data = json.load(f)["data"]
    bodies, signatures = [], []
    documents = held_out_documents(data)
    for root, path in documents:
        rel = os.path.relpath(path, root)
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
            tree = ast.parse(source)
        except (UnicodeDecodeError, SyntaxError):
            continue
        lines = source.split("\n")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                b = body_example(lines, node, rel)
                if b:
                    bodies.append(b)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                s = signature_example(lines, node, rel)
                if s:
                    signatures.append(s)
    print(f"{len(documents)} held-out documents; {len(bodies)} body and {len(signatures)} signature candidates")
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for name, examples in (("python-body-completion", bodies), ("python-docstring-to-signature", signatures)):
        chosen = sorted(rng.sample(examples, min(args.count, len(examples))), key=lambda e: e["id"])
        with open(os.path.join(args.out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for e in chosen:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
        print(f"wrote {len(chosen)} examples to {args.out}/{name}.jsonl")


if __name__ == "__main__":
    main()
