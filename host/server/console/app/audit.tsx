/** The whole audit trail and whether its hash chain verifies (`GET /v1/audit?verify=1`). */

import type { AuditAnswer } from '../../api-types.js';
import { api } from './api.js';
import { AuditTable } from './audit-table.js';
import { usePoll } from './hooks.js';

export function AuditView() {
  const { data, error, refresh } = usePoll((signal) => api<AuditAnswer>('GET', '/audit?verify=1&limit=500', undefined, signal), 5000);
  const v = data?.verification ?? null;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title" tabIndex={-1}>
        Audit trail
      </h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {data && (
        <p class={`verification ${v?.ok ? 'ok' : 'bad'}`} role="status" id="audit-verification">
          {v === null
            ? 'Hash chain not checked.'
            : v.ok
              ? `Hash chain verified: ${v.entries} entries, head ${v.head.slice(0, 12)}…`
              : `Hash chain BROKEN at entry ${v.seq}: ${v.reason}`}
        </p>
      )}
      <button type="button" onClick={refresh}>
        Verify again
      </button>
      {data && <AuditTable entries={data.entries} showName caption="Every deploy, promote, abort, rollback and refused attempt" />}
    </section>
  );
}
