import { lazy, Suspense } from 'react';
import { canRun, useApi } from '../lib/api';
import type { AppState } from '../lib/hooks';
import { parseRunPath, usePath } from '../lib/router';
import { VdomView } from '../vdom/view';
import { StartRun } from './start-run';

// The run page and the store's run list use the HTTP API (behind the server): loaded when shown.
const RunDetailView = lazy(() => import('./run-detail').then((m) => ({ default: m.RunDetailView })));
const RunsLedger = lazy(() => import('./run-detail').then((m) => ({ default: m.RunsLedger })));

/**
 * Runs. `/runs`: the start form and every run in the store (behind the server), and the run
 * monitor motif's live DAG. `/runs/:id` and `/runs/:id/steps/:step`: one run's page.
 */
export function RunsPage({ state }: { state: AppState | undefined }) {
  const { auth } = useApi();
  const { runId, stepId } = parseRunPath(usePath());
  const server = auth.status === 'authed';
  if (server && runId) {
    return <Suspense fallback={<p className="text-sm text-muted-foreground">Loading…</p>}><RunDetailView runId={runId} {...(stepId ? { stepId } : {})} /></Suspense>;
  }
  return (
    <>
      {canRun(auth) && <StartRun />}
      {server && <Suspense fallback={null}><RunsLedger /></Suspense>}
      {state ? <VdomView extension={state.pages.runs.extension} name={state.pages.runs.name} /> : <p className="text-sm text-muted-foreground" data-testid="hydrating">Connecting to the host…</p>}
    </>
  );
}
