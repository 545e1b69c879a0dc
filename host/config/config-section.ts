/**
 * A section of the host config with a schema of its own (`bridges.mqtt`, and the like): an
 * `object` key in `config-keys.ts` names one, and the loader validates the key's value with
 * `schema`, resolves it with `resolve`, and shows it through `redact`.
 */
import type { z } from 'zod';

export interface ConfigSection {
  /** The section as written (a strict zod schema; also the source of its JSON Schema). */
  readonly schema: z.ZodType;
  /**
   * The resolved value of a valid section (defaults filled in, units resolved, frozen).
   *
   * @throws LnError `LN_ERR_CONFIG_INVALID` naming `key` and `source`
   */
  resolve(input: unknown, key: string, source: string): unknown;
  /** The value as `--print-config` shows it (secrets hidden); default: as it is. */
  redact?(value: unknown): unknown;
}
