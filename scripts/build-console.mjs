#!/usr/bin/env node
// Builds the web console (host/server/console/app/) into dist/console/: one bundled, minified
// app.js (preact included), app.css and index.html. No CDN, no web fonts: everything the page
// loads comes from the admin listener. Run by `npm run build` / `prepare`; takes well under 1 s.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'host', 'server', 'console', 'app');
const out = join(root, 'dist', 'console');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(app, 'main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'favicon.svg']) copyFileSync(join(app, file), join(out, file));
