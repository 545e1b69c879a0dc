import { open } from 'node:fs/promises';

/**
 * A whole file read into memory V8 maps for itself (a resizable ArrayBuffer's pages), not into a
 * Buffer from malloc. Why: glibc serves the first large allocation with its own mapping, but
 * freeing it raises its mmap threshold to that size, so every later 11 MB read came from the main
 * arena and its holes stayed in the process after the buffers were freed (fragmentation: 57 MB
 * after reading the five componentize-js examples three times; none this way, where freeing the
 * buffer unmaps its pages). For the core modules the main thread reads to compile and the
 * artifacts it reads to store or check (the transpile cache, the artifact store, seeding).
 *
 * @throws Error the file system's error (ENOENT, …); a file that shrank while read is cut short
 */
export async function readFileMapped(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const view = new Uint8Array(new (ArrayBuffer as ResizableArrayBufferConstructor)(size, { maxByteLength: Math.max(size, 1) }));
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(view, offset, size - offset, offset);
      if (bytesRead === 0) return view.subarray(0, offset);
      offset += bytesRead;
    }
    return view;
  } finally {
    await handle.close();
  }
}

/** `ArrayBuffer` with the ES2024 resizable form, which V8 11 (Node 20) has and the TypeScript lib here lacks. */
type ResizableArrayBufferConstructor = new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
