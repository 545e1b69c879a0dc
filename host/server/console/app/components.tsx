/** Every deployed component: active version, canary, health, error rate, latency, fuel, memory, grants. */

import type { AdminAnswers, ComponentStatus, ServingGrants } from '../../api-types.js';
import { api } from './api.js';
import { bytes, count, fuel, grantList, ms, percent } from './format.js';
import { usePoll } from './hooks.js';

interface Overview {
  readonly components: readonly ComponentStatus[];
  readonly grants: readonly ServingGrants[];
}

/** Healthy, degraded (errors in the window), deploying, or down (no active version). */
export function healthOf(c: ComponentStatus): { label: string; tone: 'ok' | 'warn' | 'bad' | 'info' } {
  if (!c.active) return { label: c.deployment.inProgress ? 'deploying' : 'down', tone: c.deployment.inProgress ? 'info' : 'bad' };
  const rate = c.active.health.errorRate;
  if (rate >= 0.5) return { label: 'failing', tone: 'bad' };
  if (rate > 0) return { label: 'degraded', tone: 'warn' };
  if (c.candidate) return { label: 'canary', tone: 'info' };
  return { label: 'healthy', tone: 'ok' };
}

/**
 * A version's fuel for display: null (shown as —) when it is not fuel-metered. The totals say 0
 * for an unmetered version, so a 0 counts only when its limits set `fuel`.
 */
export function fuelOf(fuelUsed: number, limits: Readonly<Record<string, unknown>> | undefined): number | null {
  return fuelUsed > 0 || limits?.fuel !== undefined ? fuelUsed : null;
}

export function ComponentsView() {
  const { data, error } = usePoll<Overview>(async (signal) => {
    const [list, grants] = await Promise.all([
      api<AdminAnswers['GET /v1/components']>('GET', '/components', undefined, signal),
      api<AdminAnswers['GET /v1/grants']>('GET', '/grants', undefined, signal),
    ]);
    return { components: list.components, grants: grants.grants };
  }, 2000);
  const activeGrants = (name: string): ServingGrants | undefined => data?.grants.find((g) => g.name === name && g.role === 'active');
  const grantsOf = (name: string): string[] => grantList(activeGrants(name)?.capabilities ?? {});
  return (
    <section aria-labelledby="components-title">
      <h1 id="components-title" tabIndex={-1}>
        Components
      </h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && <p class="summary">{data.components.length} component(s) deployed</p>}
      {data && data.components.length === 0 && (
        <p>
          Nothing is deployed yet: <code>lnano deploy &lt;component.wasm&gt;</code>.
        </p>
      )}
      {data && data.components.length > 0 && (
        <div class="table-wrap">
          <table class="components">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Active</th>
                <th scope="col">Canary</th>
                <th scope="col">Health</th>
                <th scope="col" class="num">
                  Calls
                </th>
                <th scope="col" class="num">
                  Error rate
                </th>
                <th scope="col" class="num">
                  p50 / p99
                </th>
                <th scope="col" class="num">
                  Fuel
                </th>
                <th scope="col" class="num">
                  Memory
                </th>
                <th scope="col">Grants</th>
              </tr>
            </thead>
            <tbody>
              {data.components.map((c) => {
                const health = healthOf(c);
                const grants = grantsOf(c.name);
                return (
                  <tr key={c.name} data-component={c.name}>
                    <th scope="row" data-label="Name">
                      <a href={`#/component/${encodeURIComponent(c.name)}`}>{c.name}</a>
                    </th>
                    <td data-label="Active" class="active-version">
                      {c.deployment.active ?? '—'}
                    </td>
                    <td data-label="Canary">{c.candidate ? `${c.candidate.version} at ${c.candidate.weight} %` : '—'}</td>
                    <td data-label="Health">
                      <span class={`badge ${health.tone}`}>{health.label}</span>
                    </td>
                    <td data-label="Calls" class="num">
                      {count(c.active?.health.calls ?? 0)}
                    </td>
                    <td data-label="Error rate" class="num">
                      {c.active ? percent(c.active.health.errorRate) : '—'}
                    </td>
                    <td data-label="p50 / p99" class="num">
                      {ms(c.active?.health.p50Ms)} / {ms(c.active?.health.p99Ms)}
                    </td>
                    <td data-label="Fuel" class="num">
                      {c.active ? fuel(fuelOf(c.active.usage.fuelUsed, activeGrants(c.name)?.limits)) : '—'}
                    </td>
                    <td data-label="Memory" class="num">
                      {bytes(c.active?.usage.peakMemoryBytes)}
                    </td>
                    <td data-label="Grants" class="grants">
                      {grants.length === 0 ? <span class="muted">none</span> : grants.join('; ')}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
