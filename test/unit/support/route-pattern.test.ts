/** Route patterns of HTTP components (issue 18): what parses, what matches, what overlaps. */
import { describe, expect, it } from 'vitest';
import { RoutePattern, routablePath, routePatternProblem } from '../../../host/support/route-pattern.js';

describe('RoutePattern', () => {
  it('matches an exact route only itself, a prefix itself and what is under it', () => {
    const exact = new RoutePattern('/hello');
    expect(['/hello', '/hello/', '/hello/x', '/hellox'].map((p) => exact.matches(p))).toEqual([true, false, false, false]);
    const prefix = new RoutePattern('/api/...');
    expect(['/api', '/api/', '/api/a/b', '/apix', '/'].map((p) => prefix.matches(p))).toEqual([true, true, true, false, false]);
    const all = new RoutePattern('/...');
    expect(['/', '/x', '/x/y'].every((p) => all.matches(p))).toBe(true);
  });

  it.each([
    ['/a', '/a', true],
    ['/a', '/b', false],
    ['/a/...', '/a', true],
    ['/a/...', '/a/b', true],
    ['/a/...', '/ab', false],
    ['/a/...', '/a/b/...', true],
    ['/a/...', '/b/...', false],
    ['/...', '/x', true],
    ['/...', '/', true],
    ['/', '/a/...', false],
  ])('%s and %s overlap: %s', (a, b, expected) => {
    expect(new RoutePattern(a).overlaps(new RoutePattern(b))).toBe(expected);
    expect(new RoutePattern(b).overlaps(new RoutePattern(a))).toBe(expected);
  });

  it('refuses patterns that are not paths', () => {
    for (const bad of ['', 'a', '/a/', '/a//b', '/a/../b', '/./a', '/a/.../b', '/a b', '/%2e', '/a?b', '/a#b', `/${'x'.repeat(300)}`]) {
      expect(routePatternProblem(bad), bad).not.toBeNull();
      expect(() => new RoutePattern(bad), bad).toThrow(/route/);
    }
    for (const good of ['/', '/...', '/a', '/a-b_c.d~e/f:g@h', '/v1/items/...']) expect(routePatternProblem(good), good).toBeNull();
  });
});

describe('routablePath', () => {
  it('gives the path without the query, and nothing for dot segments, backslashes or controls', () => {
    expect(routablePath('/a/b?x=1')).toBe('/a/b');
    expect(routablePath('/a/b')).toBe('/a/b');
    for (const bad of ['/a/../b', '/a/./b', '/a/%2E%2e/b', '/a/%2e', '/a\\b', '/a\u0000b', '*', 'http://x/a']) expect(routablePath(bad), bad).toBeNull();
  });
});
