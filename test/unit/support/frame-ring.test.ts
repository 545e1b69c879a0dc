/** The frame ring the HTTP routes stream bodies through (issue 18): order, wrap-around, backpressure, the reader leaving. */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Frame, FrameRing } from '../../../host/support/frame-ring.js';

describe('FrameRing', () => {
  it('keeps frames whole and in order across many wrap-arounds', () => {
    const ring = FrameRing.create(1000);
    let written = 0;
    let read = 0;
    for (let round = 0; round < 500; round++) {
      const size = (round * 37) % 400;
      const payload = Uint8Array.from({ length: size }, (_, i) => (round + i) & 255);
      expect(ring.tryWrite(Frame.DATA, payload)).toBe(true);
      written++;
      if (round % 2 === 1) {
        for (let frame = ring.tryRead(); frame; frame = ring.tryRead()) {
          const n = (read * 37) % 400;
          expect(frame.payload).toEqual(Uint8Array.from({ length: n }, (_, i) => (read + i) & 255));
          read++;
        }
      }
    }
    expect(read).toBe(written);
  });

  it('refuses a frame that does not fit now, and one that can never fit', () => {
    const ring = FrameRing.create(64);
    expect(ring.tryWrite(Frame.DATA, new Uint8Array(50))).toBe(true);
    expect(ring.tryWrite(Frame.DATA, new Uint8Array(20))).toBe(false);
    expect(() => ring.tryWrite(Frame.DATA, new Uint8Array(64))).toThrow(RangeError);
    ring.tryRead();
    expect(ring.tryWrite(Frame.DATA, new Uint8Array(20))).toBe(true);
  });

  it('stops a waiting writer when the reader leaves', async () => {
    const ring = FrameRing.create(32);
    expect(await ring.write(Frame.DATA, new Uint8Array(20))).toBe(true);
    const blocked = ring.write(Frame.DATA, new Uint8Array(20));
    ring.closeReader();
    expect(await blocked).toBe(false);
  });

  it('carries 4 MB from another thread intact, the writer held back by a 16 KiB ring', async () => {
    const ring = FrameRing.create(16 * 1024);
    const url = new URL('../../../dist/host/support/frame-ring.js', import.meta.url).href;
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const keep = setInterval(() => {}, 1000);
       import(workerData.url).then(async ({ FrameRing, Frame }) => {
         const ring = new FrameRing(workerData.buffer);
         for (let i = 0; i < 512; i++) await ring.write(Frame.DATA, new Uint8Array(8192).fill(i & 255));
         await ring.write(Frame.END);
         clearInterval(keep);
       });`,
      { eval: true, workerData: { buffer: ring.buffer, url } },
    );
    let frames = 0;
    for (;;) {
      const frame = await ring.read();
      if (frame.type === Frame.END) break;
      expect(frame.payload.length).toBe(8192);
      expect(frame.payload.every((b) => b === (frames & 255))).toBe(true);
      frames++;
    }
    expect(frames).toBe(512);
    await worker.terminate();
  });
});
