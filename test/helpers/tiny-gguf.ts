/**
 * Writes a tiny llama-architecture GGUF model with random weights, for tests of local inference:
 * node-llama-cpp (llama.cpp) really loads it, tokenizes with its SentencePiece-style vocabulary
 * (byte fallback, so any text tokenizes), evaluates and samples; the text it generates is noise.
 * GGUF v3 as llama.cpp reads it: header, metadata, tensor infos, 32-byte aligned F32 tensor data.
 * 2 layers, 64-wide, 4 heads, a 300-token vocabulary: about 400 KB.
 */
import { writeFileSync } from 'node:fs';

enum T {
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

type Meta = [string, T, unknown] | [string, T.ARRAY, T, unknown[]];

class Writer {
  readonly parts: Buffer[] = [];
  size = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  value(type: T, v: unknown): void {
    if (type === T.U32) this.u32(v as number);
    else if (type === T.I32) this.i32(v as number);
    else if (type === T.F32) this.f32(v as number);
    else if (type === T.BOOL) this.push(Buffer.from([v ? 1 : 0]));
    else if (type === T.STRING) this.str(v as string);
    else throw new Error(`type ${type}`);
  }
  pad(alignment: number): void {
    const rest = this.size % alignment;
    if (rest) this.push(Buffer.alloc(alignment - rest));
  }
}

/** A deterministic pseudo-random generator (mulberry32), so the model is the same every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes the model to `path`. */
export function writeTinyLlamaGguf(path: string): void {
  const nEmbd = 64;
  const nHead = 4;
  const nFf = 128;
  const nLayer = 2;
  // Vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then a few pieces.
  const words = ['▁', '▁the', '▁a', '▁sensor', '▁alert', '▁is', '▁ok', '▁hot', '▁cold', 'e', 't', 'a', 'o', 'i', 'n', 's', 'r', 'h', 'l', 'd'];
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
  }
  for (const w of words) {
    tokens.push(w);
    types.push(1);
  }
  while (tokens.length < 300) {
    tokens.push(`▁w${tokens.length}`);
    types.push(1);
  }
  const scores = tokens.map((_, i) => (types[i] === 1 ? -i / 10 : 0));
  const nVocab = tokens.length;

  const meta: Meta[] = [
    ['general.architecture', T.STRING, 'llama'],
    ['general.name', T.STRING, 'liquid-nano tiny random llama'],
    ['general.alignment', T.U32, 32],
    ['llama.context_length', T.U32, 512],
    ['llama.embedding_length', T.U32, nEmbd],
    ['llama.block_count', T.U32, nLayer],
    ['llama.feed_forward_length', T.U32, nFf],
    ['llama.attention.head_count', T.U32, nHead],
    ['llama.attention.head_count_kv', T.U32, nHead],
    ['llama.rope.dimension_count', T.U32, nEmbd / nHead],
    ['llama.attention.layer_norm_rms_epsilon', T.F32, 1e-5],
    ['llama.vocab_size', T.U32, nVocab],
    ['tokenizer.ggml.model', T.STRING, 'llama'],
    ['tokenizer.ggml.tokens', T.ARRAY, T.STRING, tokens],
    ['tokenizer.ggml.scores', T.ARRAY, T.F32, scores],
    ['tokenizer.ggml.token_type', T.ARRAY, T.I32, types],
    ['tokenizer.ggml.bos_token_id', T.U32, 1],
    ['tokenizer.ggml.eos_token_id', T.U32, 2],
    ['tokenizer.ggml.unknown_token_id', T.U32, 0],
    ['tokenizer.ggml.add_bos_token', T.BOOL, true],
  ];

  const tensors: Array<{ name: string; dims: number[]; fill: 'ones' | 'random' }> = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], fill: 'random' },
    { name: 'output_norm.weight', dims: [nEmbd], fill: 'ones' },
    { name: 'output.weight', dims: [nEmbd, nVocab], fill: 'random' },
  ];
  for (let l = 0; l < nLayer; l++) {
    tensors.push(
      { name: `blk.${l}.attn_norm.weight`, dims: [nEmbd], fill: 'ones' },
      { name: `blk.${l}.attn_q.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `blk.${l}.attn_k.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `blk.${l}.attn_v.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `blk.${l}.attn_output.weight`, dims: [nEmbd, nEmbd], fill: 'random' },
      { name: `blk.${l}.ffn_norm.weight`, dims: [nEmbd], fill: 'ones' },
      { name: `blk.${l}.ffn_gate.weight`, dims: [nEmbd, nFf], fill: 'random' },
      { name: `blk.${l}.ffn_up.weight`, dims: [nEmbd, nFf], fill: 'random' },
      { name: `blk.${l}.ffn_down.weight`, dims: [nFf, nEmbd], fill: 'random' },
    );
  }

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const m of meta) {
    w.str(m[0]);
    w.u32(m[1]);
    if (m[1] === T.ARRAY) {
      const [, , elem, items] = m as [string, T.ARRAY, T, unknown[]];
      w.u32(elem);
      w.u64(items.length);
      for (const item of items) w.value(elem, item);
    } else {
      w.value(m[1], m[2]);
    }
  }
  let offset = 0;
  const sizes = tensors.map((t) => t.dims.reduce((a, b) => a * b, 1) * 4);
  for (const [i, t] of tensors.entries()) {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(0); // F32
    w.u64(offset);
    offset += Math.ceil(sizes[i]! / 32) * 32;
  }
  w.pad(32);
  const next = random(42);
  for (const [i, t] of tensors.entries()) {
    const data = Buffer.alloc(Math.ceil(sizes[i]! / 32) * 32);
    for (let k = 0; k < sizes[i]! / 4; k++) data.writeFloatLE(t.fill === 'ones' ? 1 : (next() - 0.5) * 0.2, k * 4);
    w.push(data);
  }
  writeFileSync(path, Buffer.concat(w.parts));
}
