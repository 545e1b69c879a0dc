/**
 * Whether a component's HTTP routes may be deployed: none may overlap a route of another
 * component, nor the ingress's own paths (`/events`, `/health`). See `support/route-pattern.ts`
 * for what overlapping means.
 */
import { LnError } from '../errors/ln-error.js';
import { RoutePattern } from '../support/route-pattern.js';

/** Paths the ingress answers itself. */
export const INGRESS_PATHS = Object.freeze(['/events', '/health']);

/**
 * The conflict of `name`'s `routes` with the routes others serve (their own earlier versions do
 * not count), or null.
 *
 * @returns `LN_ERR_VERSION_ROUTE_CONFLICT` naming both routes, or null
 */
export function routeConflict(name: string, routes: readonly string[], serving: ReadonlyArray<{ name: string; routes: readonly string[] }>): LnError | null {
  for (const text of routes) {
    const route = new RoutePattern(text);
    for (const path of INGRESS_PATHS) {
      if (route.overlaps(new RoutePattern(path))) return new LnError('LN_ERR_VERSION_ROUTE_CONFLICT', { route: text, name, other: path, owner: 'the ingress' });
    }
    for (const other of serving) {
      if (other.name === name) continue;
      for (const otherText of other.routes) {
        if (route.overlaps(new RoutePattern(otherText)))
          return new LnError('LN_ERR_VERSION_ROUTE_CONFLICT', { route: text, name, other: otherText, owner: other.name });
      }
    }
  }
  return null;
}
