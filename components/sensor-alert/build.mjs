// Builds sensor-alert, the example plugin of the `llm` interface (liquid-nano:plugin@0.2.0):
// esbuild (TS → one ESM file, the `liquid-nano:plugin/*` imports external) → componentize-js
// 0.19.3 against wit/0.2.0/plugin.wit with a world narrowed to what it uses
// (`import llm; import log; export handler;`). The SDK's `lnano build` targets 0.1.0 so far.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importNpmTool } from '../../sdk/tooling/project-files.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const wit = fileURLToPath(new URL('../../wit/0.2.0/plugin.wit', import.meta.url));
const COMPONENTIZE_JS = '@bytecodealliance/componentize-js-0-19-3';

/** Files this example is built from besides its own (for components/build.mjs's digest). */
export const sharedInputs = ['wit/0.2.0/plugin.wit'];

/**
 * Builds the component.
 * @param {{ quiet?: boolean }} [opts]
 * @returns {Promise<Uint8Array>} the component's bytes
 */
export async function build({ quiet = true } = {}) {
  const esbuild = await importNpmTool('esbuild', 'esbuild');
  const bundled = await esbuild.build({
    entryPoints: [join(here, 'src/sensor-alert.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['liquid-nano:plugin/*'],
    write: false,
    logLevel: 'silent',
  });
  const world = `${await readFile(wit, 'utf8')}\nworld lnano-build {\n  import llm;\n  import log;\n  export handler;\n}\n`;
  const { componentize } = await importNpmTool(COMPONENTIZE_JS, COMPONENTIZE_JS);
  const tmp = await mkdtemp(join(tmpdir(), 'lnano-sensor-alert-'));
  try {
    const sourcePath = join(tmp, 'plugin.js');
    await writeFile(sourcePath, bundled.outputFiles[0].text);
    const { component } = await componentize({
      sourcePath,
      witWorld: world,
      worldName: 'lnano-build',
      disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'],
    });
    if (!quiet) console.log(`  sensor-alert: ${component.length} bytes`);
    return component;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
