/**
 * The host's metrics in the Prometheus text exposition format (version 0.0.4): per component and
 * version — calls, errors, latency quantiles, summed usage receipts, pool state — and what the
 * guests reported through `liquid-nano:plugin/metrics` (prefixed `lnano_guest_`).
 */
import type { GuestSeries } from '../capabilities/guest-metrics.js';
import type { RouteStatus, VersionStatus } from '../versions/version-status.js';

/** A label value, escaped as the format requires. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  const body = Object.entries(pairs).map(([k, v]) => `${k}="${label(v)}"`).join(',');
  return body ? `{${body}}` : '';
}

interface Family {
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: Array<[Record<string, string>, number]>;
}

/** Renders the metrics of every route and every guest series. */
export function metricsText(routes: readonly RouteStatus[], guest: readonly GuestSeries[]): string {
  const families = new Map<string, Family>();
  const add = (name: string, type: Family['type'], help: string, l: Record<string, string>, value: number | null): void => {
    if (value === null || !Number.isFinite(value)) return;
    const family = families.get(name) ?? { help, type, samples: [] };
    family.samples.push([l, value]);
    families.set(name, family);
  };
  const version = (route: string, role: string, v: VersionStatus): void => {
    const l = { component: route, version: v.version, role };
    add('lnano_calls_total', 'counter', 'Plugin calls handled.', l, v.health.calls);
    add('lnano_call_errors_total', 'counter', 'Plugin calls that failed (error result, trap, budget).', l, v.health.errors);
    add('lnano_call_error_rate', 'gauge', 'Error rate over the health window.', l, v.health.errorRate);
    add('lnano_call_latency_p50_seconds', 'gauge', 'Median call latency over recent calls.', l, v.health.p50Ms === null ? null : v.health.p50Ms / 1000);
    add('lnano_call_latency_p99_seconds', 'gauge', '99th percentile call latency over recent calls.', l, v.health.p99Ms === null ? null : v.health.p99Ms / 1000);
    add('lnano_fuel_used_total', 'counter', 'Instructions run by fuel-metered calls.', l, v.usage.fuelUsed);
    add('lnano_guest_seconds_total', 'counter', 'Time spent in guest calls.', l, v.usage.durationMs / 1000);
    add('lnano_payload_bytes_in_total', 'counter', 'Call input bytes.', l, v.usage.bytesIn);
    add('lnano_payload_bytes_out_total', 'counter', 'Call output bytes.', l, v.usage.bytesOut);
    add('lnano_memory_peak_bytes', 'gauge', 'Largest instance memory seen after a call.', l, v.usage.peakMemoryBytes);
    add('lnano_instances', 'gauge', 'Live instances.', l, v.pool.instances);
    add('lnano_instances_busy', 'gauge', 'Instances running a call.', l, v.pool.busy);
    add('lnano_queue_depth', 'gauge', 'Calls waiting for an instance.', l, v.pool.queued);
    add('lnano_instance_deaths_total', 'counter', 'Instances that died (trap, exit, deadline, budget).', l, v.pool.died);
    add('lnano_calls_refused_total', 'counter', 'Calls refused because the queue was full.', l, v.pool.refused);
    for (const [kind, n] of Object.entries(v.usage.hostCalls)) {
      add('lnano_host_calls_total', 'counter', 'Host calls made by guests, by kind.', { ...l, kind }, n);
    }
  };
  for (const r of routes) {
    if (r.active) version(r.name, 'active', r.active);
    if (r.candidate) version(r.name, 'canary', r.candidate);
    if (r.standby) version(r.name, 'standby', r.standby);
  }
  for (const s of guest) {
    const name = `lnano_guest_${s.name}${s.kind === 'counter' ? '_total' : ''}`;
    const l = { component: s.component, ...s.labels };
    if (s.kind === 'histogram') {
      add(`lnano_guest_${s.name}_sum`, 'counter', `Guest histogram ${s.name}: sum of observations.`, l, s.value);
      add(`lnano_guest_${s.name}_count`, 'counter', `Guest histogram ${s.name}: observations.`, l, s.count);
    } else {
      add(name, s.kind, `Guest ${s.kind} ${s.name}.`, l, s.value);
    }
  }
  const lines: string[] = [];
  for (const [name, f] of families) {
    lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
    for (const [l, v] of f.samples) lines.push(`${name}${labels(l)} ${v}`);
  }
  return `${lines.join('\n')}\n`;
}
