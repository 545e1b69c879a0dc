import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileMapped } from '../../../host/support/mapped-file.js';

const ECHO_JS = join(import.meta.dirname, '..', '..', '..', 'components', 'echo-js', 'component.wasm');

describe('readFileMapped', () => {
  it('reads a file whole, an empty one too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnano-mapped-'));
    const bytes = readFileSync(ECHO_JS);
    expect(Buffer.from(await readFileMapped(ECHO_JS)).equals(bytes)).toBe(true);
    writeFileSync(join(dir, 'empty'), '');
    expect((await readFileMapped(join(dir, 'empty'))).length).toBe(0);
    await expect(readFileMapped(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
