import type { AppState } from '../lib/hooks';
import { VdomView } from '../vdom/view';

/** Runs: the run monitor motif's panel (live DAG, step logs and outputs), rendered from its vdom. */
export function RunsPage({ state }: { state: AppState }) {
  return <VdomView extension={state.pages.runs.extension} name={state.pages.runs.name} />;
}

/** Artifacts: the artifact browser motif's panel (versions, lineage). */
export function ArtifactsPage({ state }: { state: AppState }) {
  return <VdomView extension={state.pages.artifacts.extension} name={state.pages.artifacts.name} />;
}
