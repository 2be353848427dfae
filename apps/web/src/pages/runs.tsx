import { canRun, useApi } from '../lib/api';
import type { AppState } from '../lib/hooks';
import { VdomView } from '../vdom/view';
import { StartRun } from './start-run';

/** Runs: the run monitor motif's panel (live DAG, step logs and outputs), and on the server a "Start a run" form. */
export function RunsPage({ state }: { state: AppState }) {
  const { auth } = useApi();
  return (
    <>
      {canRun(auth) && <StartRun />}
      <VdomView extension={state.pages.runs.extension} name={state.pages.runs.name} />
    </>
  );
}
