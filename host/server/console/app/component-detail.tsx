/** One component: what serves, its versions with their actions, and its audit history. */
import { useState } from 'preact/hooks';
import type { AdminAnswers, ComponentStatus, DeployRecord, HistoryAnswer } from '../../api-types.js';
import { ActionDialog, type VersionAction } from './actions.js';
import { api } from './api.js';
import { AuditTable } from './audit-table.js';
import { ComponentLogs } from './component-logs.js';
import { fuelOf, healthOf } from './components.js';
import { DeployDialog } from './deploy.js';
import { bytes, count, dateTime, fuel, ms, percent, time } from './format.js';
import { usePoll } from './hooks.js';

/** What a deploy step does, for people (the steps of `DEPLOY_STEPS` in host/versions/deployment.ts). */
export const STEP_TEXT: Readonly<Record<string, string>> = {
  validate: 'checking the manifest',
  'capability-check': 'checking its capabilities',
  prepare: 'preparing the component',
  warm: 'starting instances',
  probe: 'probing the new version',
  swap: 'switching traffic to it',
  drain: 'letting calls to the old version finish',
  retire: 'retiring the old version',
};

/** The last deploy in one sentence: `1.1.0 (canary): serving 10 % of calls since 12:00:01`. */
export function deploySentence(d: DeployRecord): string {
  const when = time(d.updatedAt);
  const step = STEP_TEXT[d.step] ?? d.step;
  const how = `${d.version} (${d.strategy})`;
  switch (d.status) {
    case 'deploying':
      return `${how}: in progress, ${step}`;
    case 'canary':
      return `${how}: serving ${d.weight} % of calls as a canary since ${when}`;
    case 'activated':
      return `${how}: serving all calls, ${step}`;
    case 'deployed':
      return `${how}: deployed and serving since ${when}`;
    case 'failed':
      return `${how}: failed while ${step} at ${when}${d.reason ? ` (${d.reason})` : ''}; the previous version kept serving`;
    case 'aborted':
      return `${how}: canary aborted at ${when}`;
    case 'rolled-back':
      return `${how}: rolled back at ${when}`;
    default:
      return `${how}: ${d.status} (${step}) at ${when}`;
  }
}

/** The component page's tabs: each is a URL (`#/component/<name>` and `…/logs`). */
export type ComponentTab = 'overview' | 'logs';

function Tabs(props: { name: string; tab: ComponentTab }) {
  const base = `#/component/${encodeURIComponent(props.name)}`;
  return (
    <nav class="tabs" aria-label={`Views of ${props.name}`}>
      <a class="tab" href={base} aria-current={props.tab === 'overview' ? 'page' : undefined}>
        Overview
      </a>
      <a class="tab" href={`${base}/logs`} aria-current={props.tab === 'logs' ? 'page' : undefined} id="tab-logs">
        Logs
      </a>
    </nav>
  );
}

export function ComponentView(props: { name: string; tab?: ComponentTab }) {
  const tab = props.tab ?? 'overview';
  const path = `/components/${encodeURIComponent(props.name)}`;
  // From the list (always a 200), so an unknown name is a message here, not a 404 in the browser's console.
  const status = usePoll(async (signal): Promise<ComponentStatus | 'unknown'> => {
    const list = await api<AdminAnswers['GET /v1/components']>('GET', '/components', undefined, signal);
    return list.components.find((c) => c.name === props.name) ?? 'unknown';
  }, 2000);
  const history = usePoll((signal) => api<HistoryAnswer>('GET', `${path}/history?limit=200`, undefined, signal), 5000);
  const [action, setAction] = useState<VersionAction | null>(null);
  const [deploying, setDeploying] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (message: string): void => {
    setAction(null);
    setDeploying(false);
    setNotice(message);
    status.refresh();
    history.refresh();
  };
  const s = status.data === 'unknown' ? null : status.data;
  const d = s?.deployment;
  const versions = [...(history.data?.versions ?? [])].reverse();
  const activeManifest = versions.find((v) => v.version === d?.active)?.manifest ?? null;
  const unknown = status.data === 'unknown' && versions.length === 0;
  if (unknown)
    return (
      <section aria-labelledby="component-title">
        <p>
          <a href="#/components">← All components</a>
        </p>
        <h1 id="component-title" tabIndex={-1}>
          {props.name}
        </h1>
        <p class="error" role="alert" id="component-missing">
          No component named “{props.name}” is deployed on this host.
        </p>
        <p>
          Check the name in <a href="#/components">the list of components</a>, or deploy it: <code>lnano deploy &lt;component.wasm&gt;</code>.
        </p>
      </section>
    );
  return (
    <section aria-labelledby="component-title">
      <p>
        <a href="#/components">← All components</a>
      </p>
      <h1 id="component-title" tabIndex={-1}>
        {props.name}
      </h1>
      <Tabs name={props.name} tab={tab} />
      {tab === 'logs' && <ComponentLogs name={props.name} />}
      {tab === 'overview' && status.error && (
        <p class="error" role="alert">
          {status.error}
        </p>
      )}
      {tab === 'overview' && notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {tab === 'overview' && s && d && (
        <div class="cards">
          <dl class="card">
            <dt>Active</dt>
            <dd id="active-version">{d.active ?? '—'}</dd>
            <dt>Previous</dt>
            <dd>{d.previous ?? '—'}</dd>
            <dt>Health</dt>
            <dd>
              <span class={`badge ${healthOf(s).tone}`}>{healthOf(s).label}</span>
            </dd>
            <dt>Last deploy</dt>
            <dd id="last-deploy">{deploySentence(d.deploy)}</dd>
          </dl>
          {s.active && (
            <dl class="card">
              <dt>Calls</dt>
              <dd>
                {count(s.active.health.calls)} ({percent(s.active.health.errorRate)} errors)
              </dd>
              <dt>Latency p50 / p99</dt>
              <dd>
                {ms(s.active.health.p50Ms)} / {ms(s.active.health.p99Ms)}
              </dd>
              <dt>Fuel used</dt>
              <dd>{fuel(fuelOf(s.active.usage.fuelUsed, activeManifest?.limits as Record<string, unknown> | undefined))}</dd>
              <dt>Peak memory</dt>
              <dd>{bytes(s.active.usage.peakMemoryBytes)}</dd>
              <dt>Instances</dt>
              <dd>
                {s.active.pool.instances} ({s.active.pool.busy} busy, {s.active.pool.died} died)
              </dd>
            </dl>
          )}
          {s.candidate && (
            <dl class="card canary">
              <dt>Canary</dt>
              <dd>
                {s.candidate.version} at {s.candidate.weight} %
              </dd>
              <dt>Canary errors</dt>
              <dd>
                {percent(s.candidate.health.errorRate)} of {count(s.candidate.health.windowCalls)}
              </dd>
            </dl>
          )}
        </div>
      )}
      {tab === 'overview' && d && (
        <div class="toolbar" role="toolbar" aria-label="Actions">
          <button type="button" onClick={() => setDeploying(true)}>
            Deploy new version…
          </button>
          {d.previous && d.previous !== d.active && (
            <button type="button" onClick={() => setAction({ kind: 'rollback', to: d.previous! })}>
              Roll back to {d.previous}
            </button>
          )}
          {s?.candidate && (
            <button type="button" onClick={() => setAction({ kind: 'promote', candidate: s.candidate!.version })}>
              Promote {s.candidate.version}
            </button>
          )}
          {s?.candidate && (
            <button type="button" onClick={() => setAction({ kind: 'abort', candidate: s.candidate!.version, active: d.active })}>
              Abort {s.candidate.version}
            </button>
          )}
        </div>
      )}
      {tab === 'overview' && <h2>Versions</h2>}
      {tab === 'overview' && (
        <div class="table-wrap">
          <table class="versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Digest</th>
                <th scope="col">Created</th>
                <th scope="col">By</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} data-version={v.version}>
                  <th scope="row" data-label="Version">
                    {v.version} {v.version === d?.active && <span class="badge ok">active</span>}
                  </th>
                  <td data-label="Digest" class="digest">
                    <code title={v.digest}>{v.digest.slice(7, 19)}</code>
                  </td>
                  <td data-label="Created" class="date">
                    {dateTime(v.createdAt)}
                  </td>
                  <td data-label="By">{v.createdBy}</td>
                  <td data-label="Actions" class="actions">
                    {v.version !== d?.active && (
                      <>
                        <button type="button" onClick={() => setAction({ kind: 'rollback', to: v.version })} aria-label={`Roll back here, to ${v.version}`}>
                          Roll back here
                        </button>{' '}
                        <button
                          type="button"
                          onClick={() => setAction({ kind: 'redeploy', record: v, strategy: 'canary' })}
                          aria-label={`Deploy ${v.version} as a canary`}
                        >
                          Canary
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {tab === 'overview' && <h2>History</h2>}
      {tab === 'overview' && history.data && <AuditTable entries={history.data.entries} caption={`Audit entries of ${props.name}`} />}
      {action && <ActionDialog name={props.name} action={action} onClose={() => setAction(null)} onDone={done} />}
      {deploying && <DeployDialog name={props.name} manifest={activeManifest} onClose={() => setDeploying(false)} onDone={done} />}
    </section>
  );
}
