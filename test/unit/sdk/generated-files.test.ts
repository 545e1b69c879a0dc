// Files generated from wit/plugin.wit are committed; these fail while one is stale, and check
// that the generators read every part of the WIT (an unknown construct is an error, not a gap).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM without types
import { readWit } from '../../../sdk/tooling/toolchain.mjs';
// @ts-expect-error plain ESM without types
import { docPath, readWitDocs, renderWitDocs } from '../../../sdk/tooling/wit-docs.mjs';
// @ts-expect-error plain ESM without types
import { generatePluginTypes, typesPath } from '../../../sdk/tooling/wit-types.mjs';

describe('sdk/ts/plugin.d.ts', () => {
  it('is what sdk/tooling/wit-types.mjs generates from the WIT (run it after a WIT change)', async () => {
    expect(await readFile(typesPath, 'utf8')).toBe(await generatePluginTypes());
  });

  it('declares every interface of the package', async () => {
    const text = (await readFile(typesPath, 'utf8')) as string;
    for (const iface of ['types', 'log', 'config', 'kv', 'metrics', 'events', 'handler', 'lifecycle', 'state']) {
      expect(text).toContain(`declare module 'liquid-nano:plugin/${iface}@0.1.0'`);
    }
  });
});

describe('docs/plugin-world.md', () => {
  it('is what sdk/tooling/wit-docs.mjs generates from the WIT comments (run it after a WIT change)', async () => {
    expect(await readFile(docPath, 'utf8')).toBe(renderWitDocs(await readWit()));
  });

  it('documents every function, record field and variant case with its WIT comment', async () => {
    const doc = (await readFile(docPath, 'utf8')) as string;
    expect(doc).toContain('#### `list-keys: func(prefix: string, limit: u32) -> result<list<string>, error>`');
    expect(doc).toContain('| `datacontenttype` | `option<string>` | The media type of `data`');
    expect(doc).toContain('| `quota-exceeded` | `string` |');
    expect(doc).toContain('- include world `plugin-with-lifecycle`');
  });

  it('refuses WIT it does not understand, naming the line', () => {
    expect(() => readWitDocs('package a:b@0.1.0;\ninterface x {\n  resource r { }\n}\n')).toThrow(/line 3: .*resource r/);
  });
});
