/**
 * Reading one pipeline file: `<dir>/<name>.json`, `.yaml` or `.yml`, at most
 * `PIPELINE_DEFAULTS.maxFileBytes`, whose `name` must be its file name.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { LnError } from '../errors/ln-error.js';
import { tooDeepReason, valueTooDeep } from '../support/json-depth.js';
import { lazyModule } from '../support/lazy-module.js';
import { PIPELINE_DEFAULTS } from './pipeline-defaults.js';
import { type PipelineDefinition, parsePipeline } from './pipeline-definition.js';
import { PIPELINE_NAME } from './pipeline-schema.js';

/** `yaml` is loaded when a YAML pipeline is read, not at start-up. */
const yaml = lazyModule<typeof import('yaml')>('yaml');

export const PIPELINE_EXTENSIONS: readonly string[] = ['.json', '.yaml', '.yml'];

/** The pipeline name a file defines (its base name), or undefined for a file that is not a pipeline file. */
export function pipelineNameOf(file: string): string | undefined {
  const ext = extname(file);
  if (!PIPELINE_EXTENSIONS.includes(ext) || basename(file).startsWith('.')) return undefined;
  return basename(file, ext);
}

/**
 * Parses pipeline text (JSON, or YAML for .yaml/.yml files).
 *
 * @throws LnError `LN_ERR_CONFIG_PIPELINE_INVALID` naming the file and the key path
 */
export function parsePipelineText(text: string, file: string): PipelineDefinition {
  const bytes = Buffer.byteLength(text);
  if (bytes > PIPELINE_DEFAULTS.maxFileBytes) {
    throw new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', { file, reason: `it is ${bytes} bytes, over the limit of ${PIPELINE_DEFAULTS.maxFileBytes}` });
  }
  let value: unknown;
  try {
    value = extname(file) === '.json' ? JSON.parse(text) : yaml().parse(text, { maxAliasCount: 50, uniqueKeys: true });
  } catch (err) {
    throw new LnError(
      'LN_ERR_CONFIG_PIPELINE_INVALID',
      { file, reason: `not ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}` },
      { cause: err },
    );
  }
  if (valueTooDeep(value)) throw new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', { file, reason: tooDeepReason() });
  const definition = parsePipeline(value, file);
  const name = pipelineNameOf(file);
  if (name !== undefined && name !== definition.name) {
    throw new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', { file, reason: `name: "${definition.name}" must be the file's name, "${name}"` });
  }
  return definition;
}

/**
 * Reads and validates a pipeline file.
 *
 * @throws LnError `LN_ERR_CONFIG_PIPELINE_INVALID` for a missing, oversized, unparsable or invalid file
 */
export async function readPipelineFile(file: string): Promise<PipelineDefinition> {
  const name = pipelineNameOf(file);
  if (name !== undefined && !PIPELINE_NAME.test(name)) {
    throw new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', {
      file,
      reason: 'the file name must be <name>.json|.yaml with a name of 1-63 of a-z 0-9 - starting with a letter',
    });
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (err as Error).message;
    throw new LnError('LN_ERR_CONFIG_PIPELINE_INVALID', { file, reason }, { cause: err });
  }
  return parsePipelineText(bytes.toString('utf8'), file);
}
