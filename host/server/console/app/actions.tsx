/**
 * Version actions behind a confirmation that shows the capability diff first: roll back, promote,
 * abort, and deploy a retained version again. Each is one authenticated `/v1` call.
 */
import { useEffect, useState } from 'preact/hooks';
import type { CapabilityDiffAnswer, VersionRecord } from '../../api-types.js';
import { api } from './api.js';
import { Dialog, DiffView } from './dialog.js';
import { describeError } from './hooks.js';

export type VersionAction =
  | { readonly kind: 'rollback'; readonly to: string }
  | { readonly kind: 'promote'; readonly candidate: string }
  | { readonly kind: 'abort'; readonly candidate: string; readonly active: string | null }
  | { readonly kind: 'redeploy'; readonly record: VersionRecord; readonly strategy: 'immediate' | 'canary' | 'blue-green' };

const TITLES = { rollback: 'Roll back', promote: 'Promote canary', abort: 'Abort canary', redeploy: 'Deploy version' } as const;

/** What the grants become: active → target (abort: candidate → active). */
function diffRequest(action: VersionAction): { from?: string; to: string } | null {
  switch (action.kind) {
    case 'rollback':
      return { to: action.to };
    case 'promote':
      return { to: action.candidate };
    case 'abort':
      return action.active ? { from: action.candidate, to: action.active } : null;
    case 'redeploy':
      return { to: action.record.version };
  }
}

async function perform(name: string, action: VersionAction, reason: string, approve: boolean): Promise<unknown> {
  const path = `/components/${encodeURIComponent(name)}`;
  const why = reason.trim() ? { reason: reason.trim() } : {};
  switch (action.kind) {
    case 'rollback':
      return api('POST', `${path}/rollback`, { to: action.to, ...why });
    case 'promote':
      return api('POST', `${path}/promote`, why);
    case 'abort':
      return api('POST', `${path}/abort`, why);
    case 'redeploy':
      return api('POST', '/deployments', {
        manifest: action.record.manifest,
        digest: action.record.digest,
        strategy: action.strategy,
        approveCapabilities: approve,
        ...why,
      });
  }
}

export function ActionDialog(props: { name: string; action: VersionAction; onClose: () => void; onDone: (message: string) => void }) {
  const { name, action } = props;
  const [diff, setDiff] = useState<CapabilityDiffAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const request = diffRequest(action);
  useEffect(() => {
    if (!request) return;
    api<CapabilityDiffAnswer>('POST', `/components/${encodeURIComponent(name)}/capability-diff`, request).then(setDiff, (err) => setError(describeError(err)));
  }, []);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await perform(name, action, reason, diff?.needsApproval ?? false);
      props.onDone(`${TITLES[action.kind]}: done`);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  const target = request?.to ?? '(none)';
  return (
    <Dialog title={`${TITLES[action.kind]} ${name}${action.kind === 'abort' ? '' : ` to ${target}`}`} onClose={props.onClose} id="action-dialog">
      {request && !diff && !error && <p aria-live="polite">Comparing capabilities …</p>}
      {diff && <DiffView diff={diff.diff} from={diff.from} to={diff.to} />}
      <label for="action-reason">Reason (recorded in the audit trail)</label>
      <input id="action-reason" type="text" maxLength={1024} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="primary" disabled={busy || (request !== null && !diff)} onClick={() => void confirm()}>
          Confirm {TITLES[action.kind].toLowerCase()}
        </button>
      </div>
    </Dialog>
  );
}
