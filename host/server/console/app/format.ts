/** Small formatting helpers: numbers for people, with their units. */

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value < 10 ? `${value.toFixed(2)} ms` : value < 1000 ? `${value.toFixed(0)} ms` : `${(value / 1000).toFixed(2)} s`;
}

export function bytes(value: number | null | undefined): string {
  if (!value) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = value;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function count(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)} G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(1)} k`;
  return String(Math.round(value));
}

/** Fuel (instructions): `—` when the component is not fuel-metered (`null`), not a misleading 0. */
export function fuel(value: number | null): string {
  return value === null ? '—' : count(value);
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)} %`;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour12: false });
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 10)} ${d.toLocaleTimeString([], { hour12: false })}`;
}

/** The grants of a capabilities section, one short phrase each. */
export function grantList(capabilities: Record<string, unknown>): string[] {
  const out: string[] = [];
  const c = capabilities as {
    env?: Record<string, string>;
    fs?: Array<{ guest: string; mode?: string }>;
    http?: { allow?: string[] };
    kv?: { namespace?: string };
    cwd?: string;
  };
  if (c.env && Object.keys(c.env).length > 0) out.push(`env: ${Object.keys(c.env).join(', ')}`);
  for (const m of c.fs ?? []) out.push(`fs ${m.guest} (${m.mode ?? 'ro'})`);
  if (c.cwd) out.push(`cwd ${c.cwd}`);
  for (const a of c.http?.allow ?? []) out.push(`http ${a}`);
  if (c.kv) out.push(`kv ${c.kv.namespace ?? '(own)'}`);
  return out;
}
