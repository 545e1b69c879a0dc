/** An audit trail table, newest first. */

import type { AuditEntry } from '../../api-types.js';
import { dateTime } from './format.js';

export function AuditTable(props: { entries: readonly AuditEntry[]; showName?: boolean; caption: string }) {
  const entries = [...props.entries].sort((a, b) => b.seq - a.seq);
  return (
    <div class="table-wrap">
      <table class="audit">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">
              #
            </th>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            {props.showName && <th scope="col">Component</th>}
            <th scope="col">Version</th>
            <th scope="col">Actor</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.seq} data-action={e.action}>
              <td data-label="#" class="num">
                {e.seq}
              </td>
              <td data-label="Time">{dateTime(e.time)}</td>
              <td data-label="Action">
                <span class={`badge action-${e.action}`}>{e.action}</span>
              </td>
              {props.showName && <td data-label="Component">{e.name ?? '—'}</td>}
              <td data-label="Version">{e.fromVersion && e.version && e.fromVersion !== e.version ? `${e.fromVersion} → ${e.version}` : (e.version ?? '—')}</td>
              <td data-label="Actor">{e.actor}</td>
              <td data-label="Reason" class="reason">
                {e.reason ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
