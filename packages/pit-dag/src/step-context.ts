import { findStepReferences, type ArtifactsService } from '@symphony/types';
import { conditionReferences, type ExpressionContext } from './expressions.js';
import { StepStatus } from './ready-set.js';
import type { ActiveRun } from './run.js';

/**
 * The expression context for one step: the run's inputs plus, for each step its `with:` or
 * `if:` references, that step's outcome and output. Outputs are read from the artifact store
 * (decoded, hash-verified) on first use and kept on the run; without a store, the ref itself.
 */
export function stepContext(run: ActiveRun, artifacts: ArtifactsService | undefined, withValue: unknown, condition?: string): ExpressionContext {
  const steps: ExpressionContext['steps'] = {};
  const refs = findStepReferences(withValue);
  if (condition !== undefined) conditionReferences(condition, refs);
  for (const id of refs) {
    const j = run.graph.index.get(id);
    if (j === undefined) continue;
    const status = run.ready.status[j];
    const outcome = status === StepStatus.done ? 'success' : status === StepStatus.skipped ? 'skipped' : status === StepStatus.failed ? 'failure' : undefined;
    steps[id] = outcome ? { output: outputValue(run, artifacts, j), outcome } : {};
  }
  return { inputs: run.record.inputs, steps };
}

function outputValue(run: ActiveRun, artifacts: ArtifactsService | undefined, i: number): unknown {
  if (run.values.has(i)) return run.values.get(i);
  const ref = run.outputs[i];
  const value = ref === undefined ? null : artifacts ? artifacts.value(ref.name, ref.version) : ref;
  run.values.set(i, value);
  return value;
}
