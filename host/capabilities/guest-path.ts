import type { Zod } from './capability.js';

/**
 * The schema of a path as the guest sees it (`/data`): absolute, no `.` or `..` segments, no NUL.
 * Mount points (`capabilities.fs[].guest`) and the initial working directory (`capabilities.cwd`).
 */
export function guestPathSchema(z: Zod) {
  return z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => p.startsWith('/'), 'must be an absolute guest path such as /data')
    .refine((p) => !p.split('/').some((part) => part === '..' || part === '.'), 'must not contain . or .. segments')
    .refine((p) => !p.includes('\0'), 'must not contain NUL');
}
