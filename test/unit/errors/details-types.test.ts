/**
 * Issue 14 item 10 and issue 16 item 5: `new LnError(code, details)` is checked against the
 * code's templates and registry entry when compiled. details-types.check.ts holds the cases;
 * this compiles it with the TypeScript compiler against the real `host/errors` sources and checks
 * that it compiles clean: each `@ts-expect-error` line is an error (an unused directive is one),
 * each other line is not. At run time it checks that every placeholder the type extracts is one
 * `render` substitutes, and that an error revived without its details prints no placeholder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../../host/errors/codes.js';
import { LnError } from '../../../host/errors/ln-error.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const PLACEHOLDER = /\{(\w+)\}/g;

/** Type-checks `file` (with the project's strict options) and returns its diagnostics. */
function typeErrors(file: string): string[] {
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
    noUncheckedIndexedAccess: true,
  };
  const program = ts.createProgram([file], options);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${relative(ROOT, file)}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

function placeholders(code: ErrorCode): string[] {
  const spec = ERROR_CODES[code];
  return [...new Set([...`${spec.message} ${spec.fix}`.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

describe('LnError details are checked against the registry', () => {
  it('compiles every case of details-types.check.ts, and rejects each one marked @ts-expect-error', () => {
    const file = join(HERE, 'details-types.check.ts');
    expect(readFileSync(file, 'utf8').match(/@ts-expect-error/g)?.length).toBeGreaterThanOrEqual(10);
    expect(typeErrors(file)).toEqual([]);
  }, 60_000);

  it('renders every placeholder of every template when each is supplied', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const details = Object.fromEntries(placeholders(code).map((n) => [n, `<${n}>`]));
      const err = new LnError(code, details);
      expect(`${err.message} ${err.fix}`, code).not.toMatch(PLACEHOLDER);
    }
  });

  it("names extra details that are words and not placeholders of the code's templates", () => {
    for (const [code, spec] of Object.entries(ERROR_CODES) as Array<[ErrorCode, { extra?: readonly string[] }]>) {
      for (const name of spec.extra ?? []) {
        expect(name, code).toMatch(/^\w+$/);
        expect(placeholders(code), code).not.toContain(name);
      }
    }
  });

  it('an error revived from an HTTP answer without details keeps the sent message, not its template', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const details = Object.fromEntries(placeholders(code).map((n) => [n, `<${n}>`]));
      const sent = new LnError(code, details);
      // The admin API's body for an error it does not expose: code and a generic message only.
      const hidden = LnError.fromJSON({ code, message: 'Internal error', requestId: 'r1' });
      expect(hidden.message, code).toBe('Internal error');
      const shown = LnError.fromJSON(JSON.parse(JSON.stringify(sent)));
      expect(shown.message, code).toBe(sent.message);
      if (!ERROR_CODES[code].expose) expect(hidden.fix, code).not.toMatch(PLACEHOLDER);
    }
  });

  it('no file under host/ branches on instanceof LnError (errors cross threads; use isLnError)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
      );
    const found = files(join(ROOT, 'host')).filter((f) => /\binstanceof\s+LnError\b/.test(readFileSync(f, 'utf8')));
    expect(found.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
