/**
 * The OpenTelemetry resource of the host's spans, from the environment as the SDK specification
 * says: `OTEL_RESOURCE_ATTRIBUTES` (`key=value,key=value`, values percent-decoded) and
 * `OTEL_SERVICE_NAME`, which wins over a `service.name` there. Without either the service is
 * `liquid-nano`. Bounded: at most 128 attributes, keys and values of at most 255 characters
 * (the spec's limits); an entry outside them, or malformed, is skipped and reported.
 */

/** The default `service.name`. */
export const DEFAULT_SERVICE_NAME = 'liquid-nano';

const MAX_ATTRIBUTES = 128;
const MAX_CHARS = 255;
/** An HTTP token (RFC 7230), as W3C Baggage keys are. */
const KEY = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

/**
 * The resource attributes, and what was skipped.
 *
 * @example
 * resourceAttributes({ OTEL_SERVICE_NAME: 'edge-7', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,site=north%20hall' })
 * // { attributes: { 'deployment.environment': 'prod', site: 'north hall', 'service.name': 'edge-7' }, problems: [] }
 */
export function resourceAttributes(env: Readonly<Record<string, string | undefined>>): { attributes: Record<string, string>; problems: string[] } {
  const attributes: Record<string, string> = {};
  const problems: string[] = [];
  const list = env.OTEL_RESOURCE_ATTRIBUTES?.trim();
  if (list) {
    for (const raw of list.split(',')) {
      const entry = raw.trim();
      if (!entry) continue;
      const at = entry.indexOf('=');
      const key = at > 0 ? entry.slice(0, at).trim() : '';
      let value = at > 0 ? entry.slice(at + 1).trim() : '';
      try {
        value = decodeURIComponent(value);
      } catch {
        problems.push(`"${entry.slice(0, 40)}": the value is not percent-encoded`);
        continue;
      }
      if (!KEY.test(key) || key.length > MAX_CHARS) problems.push(`"${entry.slice(0, 40)}": not key=value with a valid key`);
      else if (value.length > MAX_CHARS) problems.push(`"${key.slice(0, 40)}": the value is longer than ${MAX_CHARS} characters`);
      else if (Object.keys(attributes).length >= MAX_ATTRIBUTES) problems.push(`"${key.slice(0, 40)}": more than ${MAX_ATTRIBUTES} attributes`);
      else attributes[key] = value;
    }
  }
  const service = env.OTEL_SERVICE_NAME?.trim();
  if (service && service.length <= MAX_CHARS) attributes['service.name'] = service;
  else if (service) problems.push(`OTEL_SERVICE_NAME is longer than ${MAX_CHARS} characters`);
  attributes['service.name'] ??= DEFAULT_SERVICE_NAME;
  return { attributes, problems };
}
