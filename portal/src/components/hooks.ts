// The console's two data hooks (console/src/components/useLoad.ts and
// useAction.ts), copied rather than shared: a module outside an app's
// folder cannot resolve that app's `react`.
import { useCallback, useEffect, useState } from 'react';
import { asProblem, type ProblemError } from '../../../web-shared/problem';

/** Loads with `load` (again when `deps` change or on `reload`), tracking the spinner and the error. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<ProblemError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load()
      .then((d) => live && (setData(d), setError(null)))
      .catch((e) => live && setError(asProblem(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/**
 * A button's call: `busy` while it runs (for the spinner and the disabled
 * state), `problem` when it failed (for a ProblemAlert), `run` to start one.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ProblemError | null>(null);
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, problem, run };
}
