/**
 * Deploy a new version from the browser: pick the component file, edit the manifest, review the
 * capability diff, confirm, and follow the deploy step by step (`Accept: application/x-ndjson`, as
 * `lnano deploy` does). `/v1` calls: `PUT /v1/artifacts`, the capability diff, `POST /v1/deployments`.
 */
import { useState } from 'preact/hooks';
import type { AdminAnswers, CapabilityDiffAnswer } from '../../api-types.js';
import { api, apiLines, uploadArtifact } from './api.js';
import { STEP_TEXT } from './component-detail.js';
import { Dialog, DiffView } from './dialog.js';
import { describeError } from './hooks.js';

const STRATEGIES = ['immediate', 'canary', 'blue-green'] as const;

export function DeployDialog(props: { name: string; manifest: Record<string, unknown> | null; onClose: () => void; onDone: (message: string) => void }) {
  const start = { ...(props.manifest ?? { name: props.name, version: '0.1.0' }) };
  delete start.digest;
  const [file, setFile] = useState<File | null>(null);
  const [manifestText, setManifestText] = useState(JSON.stringify(start, null, 2));
  const [strategy, setStrategy] = useState<(typeof STRATEGIES)[number]>('immediate');
  const [weight, setWeight] = useState(10);
  const [review, setReview] = useState<{ digest: string; manifest: Record<string, unknown>; diff: CapabilityDiffAnswer } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The deploy's finished steps as the host reports them, like `lnano deploy` prints them. */
  const [progress, setProgress] = useState<Array<{ step: string; detail: string }>>([]);
  /** Set once the deploy answered: the dialog stays open on its steps until closed. */
  const [finished, setFinished] = useState<string | null>(null);

  const prepare = async (): Promise<void> => {
    setError(null);
    setBusy(true);
    try {
      if (!file) throw new Error('Choose the component file (.wasm).');
      let manifest: Record<string, unknown>;
      try {
        manifest = JSON.parse(manifestText) as Record<string, unknown>;
      } catch {
        throw new Error('The manifest is not valid JSON.');
      }
      const stored = await uploadArtifact(await file.arrayBuffer());
      const diff = await api<CapabilityDiffAnswer>('POST', `/components/${encodeURIComponent(props.name)}/capability-diff`, { manifest });
      setReview({ digest: stored.digest, manifest, diff });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const deploy = async (): Promise<void> => {
    if (!review) return;
    setError(null);
    setBusy(true);
    try {
      setProgress([]);
      const body = {
        manifest: review.manifest,
        digest: review.digest,
        strategy,
        approveCapabilities: review.diff.needsApproval,
        ...(strategy === 'canary' ? { canaryWeight: weight } : {}),
      };
      const result = await apiLines<AdminAnswers['POST /v1/deployments']>('POST', '/deployments', body, (line) =>
        setProgress((old) => [...old, { step: String(line.step ?? ''), detail: String(line.detail ?? '') }]),
      );
      setFinished(`Deployed ${props.name}@${result.version}: ${result.outcome === 'canary' ? `canary at ${weight} %` : result.outcome}`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Deploy a new version of ${props.name}`} onClose={finished ? () => props.onDone(finished) : props.onClose} id="deploy-dialog">
      {!review ? (
        <div class="form-grid">
          <label for="deploy-file">Component (.wasm)</label>
          <input id="deploy-file" type="file" accept=".wasm,application/wasm" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
          <label for="deploy-manifest">Manifest (JSON)</label>
          <textarea
            id="deploy-manifest"
            rows={10}
            spellcheck={false}
            value={manifestText}
            onInput={(e) => setManifestText((e.target as HTMLTextAreaElement).value)}
          />
          <label for="deploy-strategy">Strategy</label>
          <select id="deploy-strategy" value={strategy} onChange={(e) => setStrategy((e.target as HTMLSelectElement).value as typeof strategy)}>
            {STRATEGIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          {strategy === 'canary' && (
            <>
              <label for="deploy-weight">Canary share (%)</label>
              <input
                id="deploy-weight"
                type="number"
                min={0}
                max={100}
                value={weight}
                onInput={(e) => setWeight(Number((e.target as HTMLInputElement).value))}
              />
            </>
          )}
        </div>
      ) : (
        <DiffView diff={review.diff.diff} from={review.diff.from} to={review.diff.to} />
      )}
      {(busy || progress.length > 0) && review && (
        <ol class="deploy-progress" aria-label="Deploy progress" aria-live="polite" id="deploy-progress">
          {progress.map((p) => (
            <li key={p.step} data-step={p.step}>
              <span aria-hidden="true">✓ </span>
              <strong>{STEP_TEXT[p.step] ?? p.step}</strong> <span class="muted">{p.detail}</span>
            </li>
          ))}
          {busy && <li class="muted">working …</li>}
        </ol>
      )}
      {finished && (
        <p class="notice" role="status" id="deploy-result">
          {finished}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="dialog-actions">
        {finished ? (
          <button type="button" class="primary" onClick={() => props.onDone(finished)}>
            Close
          </button>
        ) : (
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        )}
        {finished ? null : !review ? (
          <button type="button" class="primary" disabled={busy} onClick={() => void prepare()}>
            Review capabilities
          </button>
        ) : (
          <button type="button" class="primary" disabled={busy} onClick={() => void deploy()}>
            Confirm deploy
          </button>
        )}
      </div>
    </Dialog>
  );
}
