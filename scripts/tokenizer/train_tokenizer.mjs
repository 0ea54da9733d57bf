#!/usr/bin/env node
// Trains the byte-level BPE tokenizer of the layerskip demo model on the
// Python 3.11 standard library sources shipped by Debian, and writes
// tokenizer.json, tokenizer_config.json and special_tokens_map.json.
//
//   node scripts/tokenizer/train_tokenizer.mjs OUT_DIR [CORPUS_ROOT]
//
// The `tokenizers` npm package (Hugging Face's Rust library, pinned in
// package.json) is looked up next to this script or through NODE_PATH; see
// README.md. Its node binding only exposes `Tokenizer.train(files)` with the
// model's default BpeTrainer (vocab_size 30000, no special tokens, no initial
// alphabet) and reads its files line by line. So:
//   1. each source file is pre-tokenized WHOLE with the library's ByteLevel
//      pre-tokenizer (GPT-2 regex, add_prefix_space=false), so words such as
//      "\n    " (newline + indentation) are seen as at encode time, and every
//      word (already in byte-to-unicode form, hence free of whitespace) is
//      written on its own line of a scratch file;
//   2. the library's default BPE trainer learns the merges from that file,
//      with a WhitespaceSplit pre-tokenizer that only drops the line ends;
//   3. the merge list (greedy, in rank order) is cut where the vocabulary
//      reaches 4096 entries: 4 special tokens, the 256 byte symbols
//      (id = 4 + byte value) and the first merge results. A BPE merge
//      sequence does not depend on the target size, so this is the list a
//      trainer with vocab_size=4096 would stop at.
// Everything is sorted or single-threaded, so the output is deterministic.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Single-threaded training: deterministic and light on a shared machine.
process.env.TOKENIZERS_PARALLELISM = 'false';
const require = createRequire(import.meta.url);
const tk = require('tokenizers');

export const VOCAB_SIZE = 4096;
export const SPECIAL_TOKENS = ['<unk>', '<s>', '</s>', '<pad>']; // ids 0..3
const EXCLUDED = ['/test/', '/tests/', '/idlelib/idle_test/', 'site-packages', 'dist-packages', 'lib2to3/tests'];

/** Sorted list of the corpus files: regular *.py files, symlinks skipped. */
export function corpusFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.py') && !EXCLUDED.some((x) => p.includes(x))) out.push(p);
    }
  };
  walk(root);
  // Byte-wise order (paths are ASCII here), independent of locale.
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** GPT-2 bytes_to_unicode: byte value -> printable character. */
export function bytesToUnicode() {
  const bs = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map = new Array(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
}

function buildTokenizerJson(vocab, merges) {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: { ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // "left right" strings: read by every tokenizers version (byte-level
      // symbols never contain a space, so the split is unambiguous).
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

export async function train(outDir, corpusRoot = '/usr/lib/python3.11') {
  const files = corpusFiles(corpusRoot);
  if (files.length === 0) throw new Error(`no *.py files under ${corpusRoot}`);

  // 1. Pre-tokenize each file whole; one byte-level word per line.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bpe-train-'));
  try {
    const wordsFile = path.join(scratch, 'words.txt');
    const fd = fs.openSync(wordsFile, 'w');
    const pre = tk.byteLevelPreTokenizer(false, true);
    let bytes = 0;
    let words = 0;
    for (const f of files) {
      const buf = fs.readFileSync(f);
      bytes += buf.length;
      const text = buf.toString('utf8');
      if (Buffer.byteLength(text) !== buf.length || text.includes('\uFFFD')) {
        throw new Error(`not clean UTF-8: ${f}`);
      }
      const toks = pre.preTokenizeString(text).map(([w]) => w);
      words += toks.length;
      if (toks.length) fs.writeSync(fd, toks.join('\n') + '\n');
    }
    fs.closeSync(fd);
    console.error(`corpus: ${files.length} files, ${bytes} bytes, ${words} pre-tokens`);

    // 2. Default BPE trainer of the library.
    const trainer = new tk.Tokenizer(tk.BPE.empty());
    trainer.setPreTokenizer(tk.whitespaceSplitPreTokenizer());
    trainer.train([wordsFile]);
    const trainedFile = path.join(scratch, 'trained.json');
    trainer.save(trainedFile);
    const trained = JSON.parse(fs.readFileSync(trainedFile, 'utf8')).model;
    const trainedMerges = trained.merges.map((m) => (Array.isArray(m) ? m : m.split(' ')));

    // 3. Specials, 256 byte symbols, then merges in rank order up to VOCAB_SIZE.
    const vocab = {};
    let next = 0;
    for (const t of SPECIAL_TOKENS) vocab[t] = next++;
    for (const ch of bytesToUnicode()) vocab[ch] = next++;
    const merges = [];
    for (const [a, b] of trainedMerges) {
      if (next >= VOCAB_SIZE) break;
      if (!(a in vocab) || !(b in vocab)) throw new Error(`merge uses unknown symbol: ${a} ${b}`);
      merges.push([a, b]);
      if (!((a + b) in vocab)) vocab[a + b] = next++;
    }
    if (next !== VOCAB_SIZE) throw new Error(`only ${next} tokens learned; corpus too small?`);

    const json = buildTokenizerJson(vocab, merges);
    // Must load with the library itself.
    tk.Tokenizer.fromString(JSON.stringify(json));

    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(json, null, 2) + '\n');
    fs.writeFileSync(path.join(outDir, 'tokenizer_config.json'), JSON.stringify({
      add_bos_token: true,
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      pad_token: '<pad>',
      model_max_length: 1024,
    }, null, 2) + '\n');
    fs.writeFileSync(path.join(outDir, 'special_tokens_map.json'), JSON.stringify({
      bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', pad_token: '<pad>',
    }, null, 2) + '\n');
    console.error(`wrote ${outDir}: ${next} tokens, ${merges.length} merges ` +
      `(library trained ${trainedMerges.length} merges with its default trainer)`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outDir, corpusRoot] = process.argv.slice(2);
  if (!outDir) {
    console.error('usage: node train_tokenizer.mjs OUT_DIR [CORPUS_ROOT=/usr/lib/python3.11]');
    process.exit(2);
  }
  await train(outDir, corpusRoot);
}
