/**
 * The layers of DESIGN.md ("Layers"): inside host/, one folder per subsystem, and imports only
 * point down. Every relative import, `export … from`, `import type` and dynamic `import()` of
 * every file under host/ is read with TypeScript's own pre-processor and checked against the
 * table below; a folder the table does not know fails too, so a new subsystem is placed on
 * purpose.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** Layer of each folder directly under host/ (lowest first), as DESIGN.md lists them. */
const LAYERS: Readonly<Record<string, number>> = {
  errors: 1,
  log: 1,
  support: 1,
  engine: 2,
  sandbox: 3,
  capabilities: 4,
  resources: 5,
  versions: 6,
  events: 7,
  pipelines: 7,
  observability: 7,
  config: 7,
  server: 8,
  bridges: 8,
  cluster: 8,
  cli: 9,
};
/** Files directly in host/: the public surface (index.ts) sits above everything. */
const TOP = 10;
/** The composition root shares the CLI's layer (DESIGN.md item 9): `lnano serve` calls `createHost`. */
const ROOT_FILES: Readonly<Record<string, number>> = { host: 9 };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The layer of a file under `hostDir`, or `undefined` with its folder when the table lacks it. */
function layerOf(hostDir: string, file: string): { folder: string; layer: number | undefined } {
  const parts = relative(hostDir, file).split(sep);
  if (parts.length === 1) return { folder: '(host/)', layer: ROOT_FILES[parts[0]!.replace(/\.[jt]sx?$/, '')] ?? TOP };
  const folder = parts[0]!;
  return { folder, layer: Object.hasOwn(LAYERS, folder) ? LAYERS[folder] : undefined };
}

/** Every import under `hostDir` that points up a layer, or out of a folder the table lacks. */
function layerViolations(hostDir: string): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(hostDir)) {
    const from = layerOf(hostDir, file);
    const name = relative(hostDir, file);
    if (from.layer === undefined) {
      found.push(`${name}: host/${from.folder}/ has no layer in the table (DESIGN.md "Layers")`);
      continue;
    }
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(hostDir + sep)) continue;
      const to = layerOf(hostDir, target);
      if (to.layer !== undefined && to.layer > from.layer) {
        found.push(`${name} (host/${from.folder}, layer ${from.layer}) imports ${spec} (host/${to.folder}, layer ${to.layer})`);
      }
    }
  }
  return found;
}

describe('host/ layers (DESIGN.md)', () => {
  it('every import points down the layers', () => {
    expect(layerViolations(join(ROOT, 'host'))).toEqual([]);
  });

  it('finds an import that points up, a dynamic import and a folder with no layer', () => {
    const host = join(mkdtempSync(join(tmpdir(), 'lnano-layers-')), 'host');
    const write = (path: string, text: string): void => {
      mkdirSync(dirname(join(host, path)), { recursive: true });
      writeFileSync(join(host, path), text);
    };
    write('engine/engine.ts', "import type { X } from '../versions/version.js';\nexport const a = 1;\n");
    write('sandbox/instance.ts', "export async function f() { return import('../server/ingress.js'); }\n");
    write('versions/version.ts', "import { a } from '../engine/engine.js';\nexport type X = typeof a;\n");
    write('server/ingress.ts', "export {} from '../cli/main.js';\n");
    write('cli/main.ts', 'export const b = 2;\n');
    write('mystery/thing.ts', 'export const c = 3;\n');
    const found = layerViolations(host);
    expect(found).toHaveLength(4);
    expect(found.some((f) => f.startsWith(`engine${sep}engine.ts (host/engine, layer 2) imports ../versions/version.js`))).toBe(true);
    expect(found.some((f) => f.startsWith(`sandbox${sep}instance.ts`) && f.includes('../server/ingress.js'))).toBe(true);
    expect(found.some((f) => f.startsWith(`server${sep}ingress.ts`) && f.includes('../cli/main.js'))).toBe(true);
    expect(found.some((f) => f.includes('host/mystery/ has no layer'))).toBe(true);
  });
});
