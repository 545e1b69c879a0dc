import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { capabilityOf } from '../../capabilities/catalog.js';
import { linkProblems } from '../../capabilities/link-check.js';
import type { OperatorPolicy } from '../../capabilities/policy.js';
import { MAX_CONFIG_FILE_BYTES } from '../../config/config-file.js';
import { loadPolicyConfig as loadHostConfig } from '../../config/host-config.js';
import { type Component, componentKind } from '../../engine/component.js';
import { readComponentFile } from '../../engine/component-file.js';
import { formatWitFunction, formatWitType } from '../../engine/component-types/wit-format.js';
import type { WitTypeExport, WorldItem } from '../../engine/component-types/wit-types.js';
import { asyncRefusal, ENGINE_DEFAULTS } from '../../engine/engine.js';
import { parseCommandArgs, usageError } from '../args.js';
import type { CliIo } from '../cli-io.js';
import { openEngine } from '../data-dir.js';
import { exportedResources, formatResourceFunction } from '../resource-exports.js';
import { isStdin, oneStdinReader, readStdin } from '../stdin-input.js';

export const INSPECT_HELP = `Usage: lnano inspect <component.wasm> [--json]

Prints what a component is: its kind, the world it implements (every import and export with
WIT types; an exported resource with its constructor and methods, which \`lnano run --invoke\`
cannot call) and the capabilities it would need, with what it sees without a grant and the exact
flag and manifest line that grant each. Imports this host will not link are flagged. A component
using component-model async (WASI 0.3) is described, with what it uses, and the command exits 2
with LN_ERR_LOAD_ASYNC_UNSUPPORTED (run and deploy refuse it). "-" reads the component from stdin.

Options:
  --json              machine-readable output
  --config <file>     host config whose operator policy applies (default: LNANO_CONFIG)
  --data-dir <dir>    data directory holding the transpile cache (default: ./.lnano)
  -h, --help          show this help
`;

interface InspectFlags {
  json?: boolean;
  config?: string;
  'data-dir'?: string;
  help?: boolean;
}

const KIND_NOTES: Record<Component['kind'], string> = {
  command: 'a wasi:cli/command: `lnano run` runs it',
  plugin: 'a Liquid Nano plugin: it handles events',
  'http-proxy': 'a wasi:http/proxy: served on an HTTP route',
  library: 'call its exports with `lnano run --invoke`',
};

/** What inspect shows of a component: a loaded one, or only decoded when it cannot be loaded. */
type Described = Pick<Component, 'digest' | 'sizeBytes' | 'kind' | 'shape'> & { readonly asyncUses: readonly string[] };

/** A needed capability of the component, for output. */
interface Need {
  readonly capability: string;
  readonly imports: string[];
  readonly withoutGrant: string;
  /** The `lnano run` flag that grants it, or null when there is nothing to grant. */
  readonly grant: string | null;
  /** The manifest line that grants it, or null. */
  readonly manifest: string | null;
  /** Why the host will not link some of these imports, or null when it will. */
  readonly problem: string | null;
}

function needs(component: Described, policy: OperatorPolicy): Need[] {
  const problems = new Map(linkProblems(component.shape, policy).map((p) => [p.import, p.reason]));
  const byCap = new Map<string, Need & { imports: string[] }>();
  for (const item of component.shape.imports) {
    if (item.kind === 'type') continue; // a type the exports use, not something to provide
    const entry = capabilityOf(item.name);
    const key = entry?.capability ?? `unknown: ${item.name}`;
    const need = byCap.get(key) ?? {
      capability: entry?.capability ?? 'not provided by this host',
      imports: [],
      withoutGrant: entry?.withoutGrant ?? 'the component cannot be instantiated (LN_ERR_LINK_IMPORT_MISSING)',
      grant: entry?.flag ?? null,
      manifest: entry?.manifest ?? null,
      problem: null,
    };
    need.imports.push(item.name);
    const problem = problems.get(item.name);
    byCap.set(key, problem ? { ...need, problem: `${item.name}: ${problem}` } : need);
  }
  return [...byCap.values()];
}

/** `lnano inspect`: returns the process exit code. */
export async function inspectCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs<InspectFlags>('inspect', argv, {
    json: { type: 'boolean' },
    config: { type: 'string' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(INSPECT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw usageError('inspect', positionals.length === 0 ? 'missing <component.wasm>' : `unexpected argument "${positionals[1]}"`);
  const file = positionals[0]!;
  oneStdinReader('inspect', [
    ['<component.wasm>', file],
    ['--config', values.config],
  ]);
  const configText = isStdin(values.config) ? (await readStdin(io, 'inspect', '--config', MAX_CONFIG_FILE_BYTES)).toString('utf8') : undefined;
  const { policy } = loadHostConfig(values.config, io, configText);
  const engine = openEngine(values['data-dir'], io);
  const bytes = isStdin(file)
    ? new Uint8Array(await readStdin(io, 'inspect', '<component.wasm>', ENGINE_DEFAULTS.maxComponentBytes))
    : await readComponentFile(resolve(io.cwd, file));
  const subject = isStdin(file) ? 'stdin' : basename(file);
  // Decoded off the main thread within the decode limits; async is described, then refused.
  const decoded = await engine.decode(bytes, subject);
  const refusal = asyncRefusal(decoded, subject);
  const component: Described = refusal
    ? {
        digest: createHash('sha256').update(bytes).digest('hex'),
        sizeBytes: bytes.length,
        kind: componentKind(decoded.shape),
        shape: decoded.shape,
        asyncUses: decoded.asyncUses,
      }
    : { ...(await engine.load(bytes, subject)), asyncUses: [] };
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          file,
          digest: `sha256:${component.digest}`,
          sizeBytes: component.sizeBytes,
          kind: component.kind,
          asyncUses: component.asyncUses,
          imports: component.shape.imports,
          exports: component.shape.exports,
          resources: exportedResources(component.shape).map((r) => ({
            interface: r.interface,
            name: r.name,
            functions: r.functions.map((f) => ({ kind: f.kind, name: f.name, export: f.exportName, signature: formatResourceFunction(f) })),
          })),
          capabilities: needs(component, policy),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.stdout.write(renderText(file, component, policy));
  }
  if (refusal) throw refusal;
  return 0;
}

function renderText(file: string, component: Described, policy: OperatorPolicy): string {
  const lines = [
    `component  ${isStdin(file) ? 'stdin' : basename(file)}`,
    `digest     sha256:${component.digest}`,
    `size       ${component.sizeBytes} bytes`,
    `kind       ${component.kind} (${KIND_NOTES[component.kind]})`,
  ];
  if (component.asyncUses.length > 0) {
    lines.push(
      `unsupported  component-model async (WASI 0.3): ${component.asyncUses.join(', ')}; \`lnano run\` and deploys refuse it (LN_ERR_LOAD_ASYNC_UNSUPPORTED)`,
    );
  }
  lines.push(
    '',
    'world {',
    ...component.shape.imports.flatMap((item) => renderItem('import', item)),
    ...component.shape.exports.flatMap((item) => renderItem('export', item)),
    '}',
    '',
  );
  if (exportedResources(component.shape).length > 0) {
    lines.push('note: exported resources are listed with their constructor and methods; `lnano run --invoke` calls functions only', '');
  }
  lines.push('capabilities');
  const list = needs(component, policy);
  if (list.length === 0) lines.push('  none: the component imports nothing');
  for (const need of list) {
    lines.push(`  ${need.capability}: ${need.imports.join(', ')}`);
    if (need.problem) lines.push(`    NOT LINKABLE: ${need.problem}`);
    lines.push(`    without a grant: ${need.withoutGrant}`);
    if (need.grant) lines.push(`    grant with: ${need.grant}`);
    if (need.manifest) lines.push(`    in a manifest: ${need.manifest}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderItem(direction: 'import' | 'export', item: WorldItem): string[] {
  switch (item.kind) {
    case 'function':
      return [`  ${direction} ${item.name}: ${formatWitFunction(item.func)};`];
    case 'type':
      return [`  ${renderTypeDefinition({ name: item.name, type: item.type })}`];
    case 'other':
      return [`  ${direction} ${item.name}: ${item.description};`];
    case 'interface': {
      if (item.functions.length === 0 && item.types.length === 0) return [`  ${direction} ${item.name};`];
      // An exported resource is shown as WIT writes it, with its functions inside.
      const resources = direction === 'export' ? exportedResources({ imports: [], exports: [item] }) : [];
      const inResource = new Set(resources.flatMap((r) => r.functions.map((f) => f.exportName)));
      return [
        `  ${direction} ${item.name} {`,
        ...item.types.flatMap((t) => {
          const resource = resources.find((r) => r.name === t.name);
          if (!resource || resource.functions.length === 0) return [`    ${renderTypeDefinition(t)}`];
          return [`    resource ${t.name} {`, ...resource.functions.map((f) => `      ${formatResourceFunction(f)}`), '    }'];
        }),
        ...item.functions.filter((f) => !inResource.has(f.name)).map((f) => `    ${f.name}: ${formatWitFunction(f)};`),
        '  }',
      ];
    }
  }
}

/** A type definition in WIT syntax, e.g. `record point { x: s32, y: s32 }`. */
export function renderTypeDefinition({ name, type }: WitTypeExport): string {
  switch (type.kind) {
    case 'resource':
      return `resource ${name};`;
    case 'record':
      return `record ${name} { ${type.fields.map((f) => `${f.name}: ${formatWitType(f.type)}`).join(', ')} }`;
    case 'variant':
      return `variant ${name} { ${type.cases.map((c) => (c.type ? `${c.name}(${formatWitType(c.type)})` : c.name)).join(', ')} }`;
    case 'enum':
      return `enum ${name} { ${type.cases.join(', ')} }`;
    case 'flags':
      return `flags ${name} { ${type.flags.join(', ')} }`;
    default:
      return `type ${name} = ${formatWitType(type)};`;
  }
}
