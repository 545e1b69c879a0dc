/** Running a pipeline from the console, and following its run (contract C). */
import { useState } from 'preact/hooks';
import type { AdminAnswers } from '../../api-types.js';
import { api } from './api.js';
import { Dialog } from './dialog.js';
import { describeError } from './hooks.js';

/** A CloudEvents-style envelope for a run started by hand. */
export function consoleEvent(type: string, data: unknown): Record<string, unknown> {
  return {
    id: `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    type,
    source: '/console',
    datacontenttype: 'application/json',
    data,
  };
}

/** Starts a run: `POST /v1/pipelines/:name/runs`, answers the run id. */
export async function startRun(name: string, event: Record<string, unknown>): Promise<string> {
  const started = await api<AdminAnswers['POST /v1/pipelines/:name/runs']>('POST', `/pipelines/${encodeURIComponent(name)}/runs`, { event });
  return started.runId;
}

export function RunDialog(props: { name: string; defaultType: string; onClose: () => void; onStarted: (runId: string) => void }) {
  const [type, setType] = useState(props.defaultType);
  const [data, setData] = useState('{}');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setError(null);
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      setError('The data is not valid JSON.');
      return;
    }
    setBusy(true);
    try {
      props.onStarted(await startRun(props.name, consoleEvent(type.trim(), value)));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Run ${props.name}`} onClose={props.onClose} id="run-dialog">
      <div class="form-grid">
        <label for="run-type">Event type</label>
        <input id="run-type" type="text" value={type} onInput={(e) => setType((e.target as HTMLInputElement).value)} />
        <label for="run-data">Event data (JSON)</label>
        <textarea id="run-data" rows={5} spellcheck={false} value={data} onInput={(e) => setData((e.target as HTMLTextAreaElement).value)} />
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="primary" disabled={busy || !type.trim()} onClick={() => void run()}>
          Start run
        </button>
      </div>
    </Dialog>
  );
}
