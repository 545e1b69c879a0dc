// Per-instance stdin: a real component (fs-probe's `cat-stdin`, wasi-libc `read(0)` through the
// preview1 adapter), linked by the host's own linker from its grants, reads exactly the bytes its
// instance was given (`wasi.stdin`), then end of stream.
import { describe, expect, it } from 'vitest';
import { stdinImport } from '../../host/capabilities/stdio/stdio-streams.js';
import { probe } from '../fixtures/components/fs-probe/probe.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('stdin given per instance', () => {
  it('the guest reads exactly the given bytes, then end of stream', async () => {
    const run = await probe([['cat-stdin'], ['cat-stdin']], { stdin: text('hello, stdin\nsecond line') });
    expect(run.lines).toEqual(['ok 24:hello, stdin', 'second line', 'ok 0:']);
  });

  it('no stdin (the default) is end of stream at once', async () => {
    const run = await probe([['cat-stdin']], { stdin: null });
    expect(run.lines).toEqual(['ok 0:']);
  });

  it('a large stdin arrives whole, over many reads', async () => {
    const big = 'x'.repeat(50_000);
    const run = await probe([['cat-stdin']], { stdin: text(big) });
    expect(run.lines).toEqual([`ok 50000:${big}`]);
  });

  it('two instances at once each read their own stdin', async () => {
    const [a, b] = await Promise.all([probe([['cat-stdin']], { stdin: text('for A') }), probe([['cat-stdin']], { stdin: text('for B') })]);
    expect(a.lines).toEqual(['ok 5:for A']);
    expect(b.lines).toEqual(['ok 5:for B']);
  });
});

describe('stdinImport', () => {
  it('streams from one stdin share the read position, and end of stream is the closed stream error', () => {
    const stdin = stdinImport(text('abcdef'));
    const first = stdin.getStdin() as { blockingRead(n: bigint): Uint8Array; skip(n: bigint): bigint };
    const second = stdin.getStdin() as { read(n: bigint): Uint8Array };
    expect(new TextDecoder().decode(first.blockingRead(2n))).toBe('ab');
    expect(new TextDecoder().decode(second.read(3n))).toBe('cde');
    expect(first.skip(10n)).toBe(1n);
    let error: unknown;
    try {
      second.read(1n);
    } catch (e) {
      error = e;
    }
    expect(error).toEqual({ tag: 'closed' });
  });

  it('is an instance of the shim InputStream the bindings check, with a pollable that is ready', async () => {
    const shim = (await import('@bytecodealliance/preview2-shim')) as unknown as {
      io: { streams: { InputStream: new () => object } };
    };
    const stream = stdinImport(null).getStdin() as { subscribe(): { ready(): boolean } };
    expect(stream).toBeInstanceOf(shim.io.streams.InputStream);
    expect(stream.subscribe().ready()).toBe(true);
  });
});
