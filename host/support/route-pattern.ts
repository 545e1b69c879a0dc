/**
 * HTTP route patterns of `wasi:http/proxy` components, Spin-style: an exact path (`/hello`), or a
 * prefix ending in `/...` (`/api/...` matches `/api`, `/api/` and everything under it; `/...`
 * matches every path). Two patterns overlap when some path matches both; a host refuses a route
 * that overlaps another component's (`LN_ERR_VERSION_ROUTE_CONFLICT`), so at most one component
 * answers a path and no ordering rule is needed.
 *
 * Request paths are matched as sent (no %-decoding), without the query. A path with a `.` or `..`
 * segment (also %-encoded), a backslash or a control character matches no route.
 */

/** One path segment of a pattern: RFC 3986 pchar without `%` (patterns are written decoded). */
const SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/;
const WILDCARD = '...';
const MAX_PATTERN_LENGTH = 256;

/** Why `pattern` is not a route pattern, or null when it is one. */
export function routePatternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `a route is at most ${MAX_PATTERN_LENGTH} characters`;
  if (!pattern.startsWith('/')) return 'a route starts with /';
  if (pattern === '/' || pattern === `/${WILDCARD}`) return null;
  const segments = pattern.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === WILDCARD && last) continue;
    if (segment === '' && last) return 'a route does not end with / (use /... for a prefix)';
    if (segment === '.' || segment === '..' || segment === WILDCARD)
      return `a route has no "${segment}" segment${segment === WILDCARD ? ' except at its end' : ''}`;
    if (!SEGMENT.test(segment)) return `"${segment}" is not a path segment (letters, digits and -._~!$&'()*+,;=:@)`;
  }
  return null;
}

/** A parsed route pattern. */
export class RoutePattern {
  readonly text: string;
  /** For a prefix: the path without `/...` (`''` for `/...`); for an exact route: the path. */
  readonly base: string;
  readonly prefix: boolean;

  /** @throws Error naming the problem (see `routePatternProblem`) */
  constructor(text: string) {
    const problem = routePatternProblem(text);
    if (problem) throw new Error(`route "${text.slice(0, 80)}": ${problem}`);
    this.text = text;
    this.prefix = text.endsWith(`/${WILDCARD}`);
    this.base = this.prefix ? text.slice(0, -WILDCARD.length - 1) : text;
  }

  /** Whether a (sane, query-less) request path matches. */
  matches(path: string): boolean {
    if (!this.prefix) return path === this.base;
    return path === this.base || path.startsWith(`${this.base}/`);
  }

  /** Whether some path matches both. */
  overlaps(other: RoutePattern): boolean {
    if (!this.prefix && !other.prefix) return this.base === other.base;
    if (this.prefix && !other.prefix) return this.matches(other.base);
    if (!this.prefix && other.prefix) return other.matches(this.base);
    return this.matches(other.base || '/') || other.matches(this.base || '/');
  }
}

/** A request path that routes may see: its path part when sane, else null (see the file header). */
export function routablePath(url: string): string | null {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (!path.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(path)) return null;
  for (const segment of path.split('/')) {
    const s = segment.toLowerCase().replaceAll('%2e', '.');
    if (s === '.' || s === '..') return null;
  }
  return path;
}
