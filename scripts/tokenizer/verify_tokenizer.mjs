#!/usr/bin/env node
// Checks a trained tokenizer.json with the Hugging Face `tokenizers` library:
// special-token ids, byte coverage, BOS insertion, decode(encode(x)) == x on
// samples and on every corpus file, and the compression in bytes per token.
//
//   node scripts/tokenizer/verify_tokenizer.mjs MODEL_DIR [CORPUS_ROOT]

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { corpusFiles, bytesToUnicode, SPECIAL_TOKENS, VOCAB_SIZE } from './train_tokenizer.mjs';

process.env.TOKENIZERS_PARALLELISM = 'false';
const tk = createRequire(import.meta.url)('tokenizers');

const [modelDir, corpusRoot = '/usr/lib/python3.11'] = process.argv.slice(2);
if (!modelDir) {
  console.error('usage: node verify_tokenizer.mjs MODEL_DIR [CORPUS_ROOT]');
  process.exit(2);
}
const file = path.join(modelDir, 'tokenizer.json');
const tok = tk.Tokenizer.fromFile(file);
let failures = 0;
const check = (ok, msg) => {
  if (!ok) { failures++; console.log(`FAIL ${msg}`); }
};

check(tok.getVocabSize(true) === VOCAB_SIZE, `vocab size with added tokens ${tok.getVocabSize(true)}`);
check(tok.getVocabSize(false) === VOCAB_SIZE, `model vocab size ${tok.getVocabSize(false)}`);
SPECIAL_TOKENS.forEach((t, id) => check(tok.tokenToId(t) === id, `${t} has id ${tok.tokenToId(t)}, want ${id}`));
const json = JSON.parse(fs.readFileSync(file, 'utf8'));
check(json.added_tokens.length === 4 && json.added_tokens.every((t, i) => t.id === i && t.special), 'added_tokens');
bytesToUnicode().forEach((ch, b) => check(tok.tokenToId(ch) !== null, `byte ${b} missing`));

const samples = [
  'def fib(n):\n    """Return the n-th Fibonacci number."""\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n',
  'import os\n\nfor root, dirs, files in os.walk("."):\n\tprint(root, len(files))\n',
  'Grüße, 世界! naïve café — ½ € 🐍\n',
  'class Foo(Bar):\n    def __init__(self, *args, **kwargs):\n        super().__init__(*args, **kwargs)\n        self._cache = {}\n',
];
for (const text of samples) {
  const enc = await tok.encode(text);
  const ids = enc.getIds();
  check(ids[0] === 1, `BOS not first for ${JSON.stringify(text)}`);
  check(!ids.slice(1).includes(0), `unk in ${JSON.stringify(text)}`);
  const back = await tok.decode(ids, true);
  check(back === text, `round trip ${JSON.stringify(text)} -> ${JSON.stringify(back)}`);
  console.log(`${JSON.stringify(text)}\n  ${ids.length} ids: ${JSON.stringify(ids)}\n  tokens: ${JSON.stringify(enc.getTokens())}`);
}
const pair = await tok.encode('a = 1', 'b = 2');
console.log(`pair "a = 1" / "b = 2": ${JSON.stringify(pair.getIds())} type ids ${JSON.stringify(pair.getTypeIds())}`);
check(pair.getIds()[0] === 1 && pair.getIds().filter((i) => i === 1).length === 2, 'pair template');

// Whole corpus: no BOS, decode without skipping so that literal "<s>" in the
// sources (matched as an added token) still round-trips.
let bytes = 0;
let tokens = 0;
let unk = 0;
const files = corpusFiles(corpusRoot);
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
  bytes += Buffer.byteLength(text);
  tokens += ids.length;
  unk += ids.filter((i) => i === 0).length;
  const back = await tok.decode(ids, false);
  check(back === text, `corpus round trip ${f}`);
}
check(unk === 0, `${unk} unk tokens in corpus`);
console.log(`corpus: ${files.length} files, ${bytes} bytes, ${tokens} tokens, ` +
  `${(bytes / tokens).toFixed(3)} bytes/token, ${unk} unk`);
console.log(`tokenizer.json: ${fs.statSync(file).size} bytes`);
console.log(failures === 0 ? 'OK' : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
