import type { ArtifactsService } from '@symphony/types/core';
import { conditionReferences, templateReferences, type ExpressionContext, type StepOutcome } from './expressions.js';
import { StepStatus } from './ready-set.js';
import type { ActiveRun } from './run.js';

/**
 * The expression context for one step: the run's inputs plus, for each step its `with:` or
 * `if:` references, that step's outcome and output. Outputs are read from the artifact store
 * (decoded, hash-verified) on first use and kept on the run; without a store, the ref itself.
 */
export function stepContext(run: ActiveRun, artifacts: ArtifactsService | undefined, withValue: unknown, condition?: string): ExpressionContext {
  const steps: ExpressionContext['steps'] = {};
  const refs = templateReferences(withValue);
  if (condition !== undefined) conditionReferences(condition, refs);
  // A computed reference (`steps.*`) reads every step; otherwise only the named ones are loaded.
  const ids = refs.has('*') ? run.graph.ids : refs;
  for (const id of ids) {
    const j = run.graph.index.get(id) ?? caseFolded(run, id);
    if (j === undefined) continue;
    const status = run.ready.status[j];
    const outcome: StepOutcome | undefined =
      status === StepStatus.done ? 'success' : status === StepStatus.skipped ? 'skipped' : status === StepStatus.failed ? (run.aborted[j] ? 'cancelled' : 'failure') : undefined;
    if (!outcome) {
      define(steps, id, {});
      continue;
    }
    // GitHub's conclusion: a failure that continue-on-error let through concludes as success.
    const conclusion: StepOutcome = outcome === 'failure' && run.graph.steps[j]?.continueOnError ? 'success' : outcome;
    define(steps, id, { output: outputValue(run, artifacts, j), outcome, conclusion });
  }
  return { inputs: run.record.inputs, steps, job: { status: run.cancelled ? 'cancelled' : run.failing ? 'failure' : 'success', failed: run.failing } };
}


function outputValue(run: ActiveRun, artifacts: ArtifactsService | undefined, i: number): unknown {
  if (run.values.has(i)) return run.values.get(i);
  const ref = run.outputs[i];
  const value = ref === undefined ? null : artifacts ? artifacts.value(ref.name, ref.version) : ref;
  run.values.set(i, value);
  return value;
}

/** Expressions read step ids case-insensitively (GitHub's contexts are). */
function caseFolded(run: ActiveRun, id: string): number | undefined {
  const lower = id.toLowerCase();
  const i = run.graph.ids.findIndex((s) => s.toLowerCase() === lower);
  return i < 0 ? undefined : i;
}

/** An own property even for a key such as `__proto__`. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
