/**
 * support/schema.ts: zod loaded on first use is the very module `import 'zod'` gives, and a lazy
 * schema behaves as the schema it builds (parse, compose, instanceof, JSON Schema), built once.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { durationSchema, isEmptySection, lazySchema, sizeSchema, zod } from '../../../host/support/schema.js';
import { SIZE_PATTERN } from '../../../host/support/units.js';

describe('zod()', () => {
  it('is the z of the zod module imported here', () => {
    expect(zod()).toBe(z);
  });
});

describe('lazySchema', () => {
  it('builds its schema once, on first use, and parses like it', () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds++;
      return zod().strictObject({ a: zod().number().int() });
    });
    expect(builds).toBe(0);
    expect(schema.parse({ a: 1 })).toEqual({ a: 1 });
    expect(schema.safeParse({ a: 1.5 }).success).toBe(false);
    expect(schema.safeParse({ a: 1, b: 2 }).success).toBe(false);
    expect(builds).toBe(1);
  });

  it('composes into schemas of the zod imported elsewhere, as a value and through its methods', () => {
    const outer = z.strictObject({ size: sizeSchema, timeout: durationSchema.optional() });
    expect(outer.parse({ size: '64MiB', timeout: 500 })).toEqual({ size: '64MiB', timeout: 500 });
    expect(outer.safeParse({ size: -1 }).success).toBe(false);
    expect(outer.safeParse({ size: '' }).success).toBe(false);
    expect(sizeSchema instanceof z.ZodType).toBe(true);
    expect(sizeSchema instanceof z.ZodUnion).toBe(true);
    expect('parse' in sizeSchema).toBe(true);
  });

  it('gives the same JSON Schema as the schema it builds', () => {
    const built = z.union([
      z.string().min(1).max(32).meta({ pattern: SIZE_PATTERN, description: 'a size: a number with B, KB, KiB, MB, MiB, GB or GiB, e.g. 64MiB' }),
      z.number().int().positive().meta({ description: 'a number of bytes' }),
    ]);
    expect(z.toJSONSchema(sizeSchema)).toEqual(z.toJSONSchema(built));
  });
});

describe('isEmptySection', () => {
  it('is true only for undefined, null and a plain object with no keys', () => {
    expect(isEmptySection(undefined)).toBe(true);
    expect(isEmptySection(null)).toBe(true);
    expect(isEmptySection({})).toBe(true);
    expect(isEmptySection(Object.create(null))).toBe(true);
    expect(isEmptySection({ a: undefined })).toBe(false);
    expect(isEmptySection([])).toBe(false);
    expect(isEmptySection('')).toBe(false);
    expect(isEmptySection(0)).toBe(false);
    expect(isEmptySection(new Date(0))).toBe(false);
    expect(isEmptySection({ [Symbol('s')]: 1 })).toBe(false);
  });
});
