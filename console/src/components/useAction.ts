import { useCallback, useState } from 'react';
import { asProblem, type ProblemError } from '../api/problem';

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
