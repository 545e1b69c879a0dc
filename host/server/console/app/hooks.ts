/** Hooks shared by the views: polling a `/v1` resource. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Polled<T> {
  readonly data: T | null;
  readonly error: string | null;
  /** The code of the last failure (`LN_ERR_…`, `HTTP_…`), null when the last call answered. */
  readonly errorCode: string | null;
  /** Fetch again now (after an action). */
  readonly refresh: () => void;
}

/** Calls `load` now and every `intervalMs` while mounted; keeps the last good answer. */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: readonly unknown[] = []): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<{ text: string; code: string | null } | null>(null);
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const run = async (): Promise<void> => {
      try {
        const value = await loader.current(controller.signal);
        if (controller.signal.aborted) return;
        setData(value);
        setError(null);
      } catch (err) {
        if (controller.signal.aborted) return;
        setError({ text: describeError(err), code: err instanceof ApiError ? err.code : null });
      }
      if (!controller.signal.aborted && intervalMs > 0) timer = window.setTimeout(() => void run(), intervalMs);
    };
    void run();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [tick, intervalMs, ...deps]);
  return { data, error: error?.text ?? null, errorCode: error?.code ?? null, refresh: () => setTick((t) => t + 1) };
}

/** An error for people: the code and the message of an `ApiError`. */
export function describeError(err: unknown): string {
  return err instanceof ApiError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}
