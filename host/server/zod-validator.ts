/**
 * Zod schemas as fastify's validators: a route's `schema.body` is a zod schema, fastify runs it
 * after the body is parsed and before the handler, and the handler gets the parsed value (zod's
 * output: defaults applied, unknown keys of strict objects refused). A refusal is
 * `LN_ERR_ADMIN_BAD_REQUEST` naming up to five fields, as the admin API always answered.
 *
 * Why an adapter and not JSON Schema: the bodies are already zod (the manifest, config and
 * pipeline schemas are zod too), and converting them would leave two sources of truth.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { LnError } from '../errors/ln-error.js';
import { describeIssues } from '../support/schema.js';

/** `value` checked by `schema`, or `LN_ERR_ADMIN_BAD_REQUEST` naming the fields that are wrong. */
export function checkBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new LnError('LN_ERR_ADMIN_BAD_REQUEST', { reason: describeIssues(parsed.error, '', { root: '(body)', max: 5 }) });
  return parsed.data;
}

/** The validator compiler: `app.setValidatorCompiler(zodValidatorCompiler)`. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema }) =>
  (data: unknown) => {
    try {
      return { value: checkBody(schema, data) };
    } catch (error) {
      return { error: error as LnError };
    }
  };
