/**
 * `wasi:http/outgoing-handler` and `wasi:http/types`: outgoing HTTP to allowed authorities only,
 * each request checked (`request-authority.ts`), its destination address too
 * (`http-destination.ts`), its response capped (`http-response-cap.ts`). Closed: every request
 * fails with `HTTP-request-denied`.
 *
 * Manifest: `"http": { "allow": ["api.example.com"], "maxResponse": "1MiB", "timeout": "5s" }`.
 * Flag: `--allow-http <host>[:port]`. Policy: `"http": { "allow": ["*.example.com"], "allowPrivateNetworks": false }`.
 */
import { parseByteSize, parseDurationMs } from '../../support/units.js';
import { beyondPolicy, type Capability } from '../capability.js';
import { type AuthorityPattern, authorityCovers, parseAuthorityPattern } from './authority.js';
import { HTTP_DENIED_TOPIC, type HttpDenial } from './http-denial.js';

/** The outgoing HTTP key of a `capabilities` section. */
export interface HttpSection {
  readonly http?:
    | {
        readonly allow: readonly string[];
        readonly maxResponse?: string | number | undefined;
        readonly timeout?: string | number | undefined;
        readonly maxRequestsPerCall?: number | undefined;
      }
    | undefined;
}

/** Outgoing HTTP (`wasi:http/outgoing-handler`). */
export interface HttpGrant {
  /**
   * Allowed authorities: `host` (the scheme's default port only: 80 for http, 443 for https),
   * `host:port`, or `*.example.com[:port]` (any subdomain of example.com, not example.com itself).
   * Host names compare case-insensitively.
   */
  readonly allow: readonly string[];
  /** Largest response body the guest may read, bytes; reading past it fails. */
  readonly maxResponseBytes: number;
  /** Deadline of one request (connect, first byte, between bytes), ms. */
  readonly timeoutMs: number;
  /** Outgoing requests one call may start. */
  readonly maxRequestsPerCall: number;
  /**
   * Whether a granted host *name* may resolve to a loopback, private, shared or link-local
   * address (`policy.http.allowPrivateNetworks`); absent: false. See `http-destination.ts`.
   */
  readonly allowPrivateNetworks?: boolean;
  /**
   * File URL of the module that resolves host names (see `http-dns-extension.ts`); absent: the
   * system resolver (`dns.lookup` with `all: true`). Injected by tests and embedders.
   */
  readonly resolver?: string;
}

/** The guest's outgoing HTTP. */
export interface HttpCapabilityGrant {
  readonly wasi: {
    /** Outgoing HTTP; null: every request fails with `HTTP-request-denied`. */
    readonly http: HttpGrant | null;
  };
}

/** `policy.http`, resolved. */
export interface HttpBound {
  /** Authorities a grant may allow (each must be covered by one); null: any. */
  readonly httpAllow: readonly AuthorityPattern[] | null;
  /** Granted host names may resolve to loopback/private/link-local addresses (not metadata). */
  readonly httpAllowPrivateNetworks: boolean;
}

/** Defaults of an `http` grant's parameters. */
export const HTTP_DEFAULTS = Object.freeze({ maxResponseBytes: 16 * 1024 * 1024, timeoutMs: 30_000, maxRequestsPerCall: 16 });

/** Whether the policy lets a grant allow `pattern`. */
export function httpAllowed(policy: HttpBound, pattern: AuthorityPattern): boolean {
  return !policy.httpAllow || policy.httpAllow.some((outer) => authorityCovers(outer, pattern));
}

export const httpCapability: Capability<
  HttpSection,
  HttpCapabilityGrant,
  HttpBound,
  { allow?: string[] | undefined; allowPrivateNetworks?: boolean | undefined }
> = {
  name: 'outgoing HTTP',
  interfaces: ['wasi:http/outgoing-handler', 'wasi:http/types'],
  withoutGrant: 'every request fails with HTTP-request-denied',
  grantFlag: '--allow-http <host>[:port]',
  grantManifest: '"http": { "allow": ["api.example.com"] }',
  manifest: {
    shape({ z, size, duration }) {
      const authority = z
        .string()
        .min(1)
        .max(300)
        .superRefine((text, ctx) => {
          try {
            parseAuthorityPattern(text);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
          }
        });
      return {
        http: z
          .strictObject({
            allow: z
              .array(authority.describe('host[:port]; a leading *. matches subdomains, e.g. *.example.org:8443'))
              .min(1)
              .max(256)
              .describe('The hosts the guest may send requests to'),
            maxResponse: size.optional().describe('Largest response body read, e.g. 1MiB'),
            timeout: duration.optional().describe('Deadline of one request, e.g. 5s'),
            maxRequestsPerCall: z.number().int().positive().max(10_000).optional().describe('Most outgoing requests during one call'),
          })
          .optional()
          .describe('Outgoing HTTP (wasi:http/outgoing-handler) to the allowed hosts only (flag: --allow-http host[:port])'),
      };
    },
    merge(base, extra) {
      const http =
        base.http && extra.http ? { ...base.http, ...extra.http, allow: [...new Set([...base.http.allow, ...extra.http.allow])] } : (extra.http ?? base.http);
      return http ? { http } : {};
    },
  },
  flags: [
    {
      name: 'allow-http',
      multiple: true,
      usage: '--allow-http <host>[:port]',
      helpRank: 2,
      key: 'http',
      help: ['outgoing HTTP to that authority (repeatable); *.example.com for subdomains;', 'without a port only 80/443'],
      toSection: (values) => ({ http: { allow: values } }),
    },
  ],
  policy: {
    key: 'http',
    schema: ({ z }) =>
      z.strictObject({
        allow: z
          .array(z.string().min(1).max(300))
          .max(1024)
          .optional()
          .describe("host[:port] patterns a grant's hosts must match (*.example.org matches subdomains); none: any"),
        allowPrivateNetworks: z.boolean().optional().describe('Whether requests may reach loopback and private addresses (default false)'),
      }),
    bound(section, ctx) {
      const httpAllow = section?.allow?.map((text) => {
        try {
          return parseAuthorityPattern(text);
        } catch (err) {
          throw ctx.invalid('policy.http.allow', (err as Error).message);
        }
      });
      return { httpAllow: httpAllow ?? null, httpAllowPrivateNetworks: section?.allowPrivateNetworks ?? false };
    },
    open: { httpAllow: null, httpAllowPrivateNetworks: false },
  },
  closed: () => ({ wasi: { http: null } }),
  resolve(section, source, policy) {
    const http = section.http;
    if (!http) return { wasi: { http: null } };
    for (const text of http.allow) {
      if (!httpAllowed(policy, parseAuthorityPattern(text))) throw beyondPolicy(policy, 'outgoing HTTP', text, 'policy.http.allow');
    }
    const d = HTTP_DEFAULTS;
    return {
      wasi: {
        http: {
          allow: http.allow.map((a) => a.toLowerCase()),
          maxResponseBytes:
            http.maxResponse === undefined ? d.maxResponseBytes : parseByteSize(http.maxResponse, 'capabilities.http.maxResponse', source.source),
          timeoutMs: http.timeout === undefined ? d.timeoutMs : parseDurationMs(http.timeout, 'capabilities.http.timeout', source.source),
          maxRequestsPerCall: http.maxRequestsPerCall ?? d.maxRequestsPerCall,
          allowPrivateNetworks: policy.httpAllowPrivateNetworks,
          ...(source.resolver === undefined ? {} : { resolver: source.resolver }),
        },
      },
    };
  },
  diff(section) {
    const http = section.http;
    if (!http) return {};
    const amounts = [];
    if (http.maxResponse !== undefined)
      amounts.push({ name: 'maxResponse', value: parseByteSize(http.maxResponse, 'maxResponse', 'diff'), text: String(http.maxResponse) });
    if (http.timeout !== undefined) amounts.push({ name: 'timeout', value: parseDurationMs(http.timeout, 'timeout', 'diff'), text: String(http.timeout) });
    if (http.maxRequestsPerCall !== undefined)
      amounts.push({ name: 'maxRequestsPerCall', value: http.maxRequestsPerCall, text: String(http.maxRequestsPerCall) });
    return { grants: http.allow.map((a) => a.toLowerCase()), amounts };
  },
  // preview2-shim's outgoing HTTP waits synchronously for the shim's I/O worker.
  blocksThread: (grants) => grants.wasi.http !== null,
  loadImports: async () => (await import('./imports.js')).imports,
  notifications: {
    [HTTP_DENIED_TOPIC]: (lines, payload) => lines.push('warn', { denied: payload as HttpDenial }, 'outgoing HTTP request refused'),
  },
};
