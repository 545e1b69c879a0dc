/**
 * Pieces shared by the zod schemas of manifests, the operator policy, limits and admin request
 * bodies: how a size or a duration may be written, and one way to report what failed.
 */
import { z } from 'zod';

/** A size as written in JSON: `"64MiB"`, or a number of bytes (see `parseByteSize`). */
export const sizeSchema = z.union([z.string().min(1).max(32), z.number().int().positive()]);

/** A duration as written in JSON: `"500ms"`, or a number of milliseconds (see `parseDurationMs`). */
export const durationSchema = z.union([z.string().min(1).max(32), z.number().int().positive()]);

/**
 * Formats zod issues as one line: `fs.0.guest: must be an absolute guest path; env.1BAD: ...`.
 *
 * @param prefix - the path of the validated value in its document (`capabilities`), if any
 * @param options.root - how to name an issue of the whole value (default `(top level)`)
 * @param options.max - most issues listed (default 8)
 */
export function describeIssues(error: z.ZodError, prefix = '', options: { root?: string; max?: number } = {}): string {
  return error.issues
    .slice(0, options.max ?? 8)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || (options.root ?? '(top level)')}: ${issue.message}`;
    })
    .join('; ');
}
