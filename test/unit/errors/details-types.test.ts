/**
 * Issue 14 item 10: `new LnError(code, details)` is checked against the code's templates when
 * compiled. This compiles small programs with the TypeScript compiler against the real
 * `host/errors` sources and checks which ones are rejected, and checks at run time that every
 * placeholder the type extracts is one `render` substitutes.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../host/errors/codes.js';
import { LnError } from '../../../host/errors/ln-error.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Type-checks `body` (after an import of LnError) and returns its diagnostics' messages. */
function typeErrors(bodies: Record<string, string>): Record<string, string[]> {
  const files = new Map(Object.entries(bodies).map(([name, body]) => [
    join(ROOT, 'host', 'errors', `__probe_${name}.ts`),
    `import { LnError } from './ln-error.js';\n${body}\n`,
  ]));
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (file) => files.get(file) ?? read(file);
  const exists = host.fileExists.bind(host);
  host.fileExists = (file) => files.has(file) || exists(file);
  const program = ts.createProgram([...files.keys()], options, host);
  const out: Record<string, string[]> = {};
  for (const [file] of files) {
    const name = /__probe_(\w+)\.ts$/.exec(file)![1]!;
    out[name] = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }
  return out;
}

describe('LnError details are checked against the message template', () => {
  it('accepts the right details and rejects a missing or misspelled one', () => {
    const errors = typeErrors({
      right: "new LnError('LN_ERR_LOAD_NOT_FOUND', { path: 'x', reason: 'gone' });",
      extra: "new LnError('LN_ERR_LOAD_NOT_FOUND', { path: 'x', reason: 'gone', more: 1 });",
      none: "new LnError('LN_ERR_ADMIN_UNAUTHORIZED');",
      misspelled: "new LnError('LN_ERR_LOAD_NOT_FOUND', { subject: 'x', reason: 'gone' });",
      missingFixKey: "new LnError('LN_ERR_CONFIG_USAGE', { reason: 'x' });",
      missingAll: "new LnError('LN_ERR_LOAD_NOT_FOUND');",
    });
    expect(errors.right).toEqual([]);
    expect(errors.extra).toEqual([]);
    expect(errors.none).toEqual([]);
    expect(errors.misspelled.join('\n')).toMatch(/Property 'path' is missing/);
    expect(errors.missingFixKey.join('\n')).toMatch(/Property 'command' is missing/);
    expect(errors.missingAll.length).toBeGreaterThan(0);
  }, 60_000);

  it('renders every placeholder of every template when each is supplied', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const names = [...`${spec.message} ${spec.fix}`.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const details = Object.fromEntries(names.map((n) => [n, `<${n}>`]));
      const err = new LnError(code as keyof typeof ERROR_CODES, details);
      expect(`${err.message} ${err.fix}`, code).not.toMatch(/\{\w+\}/);
    }
  });
});
