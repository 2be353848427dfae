import { evaluate, expressionReferences, isTruthy, parseCondition, type ExpressionContext } from '@symphony/pit-dag';
import { toSymphonyError, validationError, type Issue, type Step, type Workflow } from '@symphony/types';

/**
 * A step's `check:`: an expression over the step's own result (`steps.<id>.output`) and the
 * run's inputs, evaluated after each successful call. Its value is the call's quality, which
 * the Conductor's reward and history use instead of any `quality` the extension reported:
 * `true` is 1, `false` 0, a number is clamped to 0..1 (NaN is 0), anything else counts by
 * GitHub's truthiness (null, '' and 0 are 0; other values 1).
 */
export interface CheckOutcome {
  quality: number;
  /** Why the check could not be evaluated (its quality is then 0). */
  error?: string;
}

export type StepCheck = (output: unknown) => CheckOutcome;

/** Compiles `step.check` (validated beforehand) for one run; undefined when the step has none. */
export function compileCheck(step: Step, inputs: Record<string, unknown>): StepCheck | undefined {
  if (step.check === undefined) return undefined;
  const expr = parseCondition(step.check);
  return (output) => {
    const steps: ExpressionContext['steps'] = {};
    // An own property even for an id such as `__proto__`.
    Object.defineProperty(steps, step.id, { value: { output, outcome: 'success', conclusion: 'success' }, enumerable: true, writable: true, configurable: true });
    try {
      return { quality: qualityOfValue(evaluate(expr, { inputs, steps, job: { status: 'success' } })) };
    } catch (err) {
      return { quality: 0, error: toSymphonyError(err).message };
    }
  };
}

/** A check's value as a quality in 0..1. */
export function qualityOfValue(value: unknown): number {
  if (typeof value === 'number') return Number.isNaN(value) ? 0 : Math.max(0, Math.min(1, value));
  return isTruthy(value) ? 1 : 0;
}

/**
 * The rules `validateWorkflowSource` reports with positions, for workflows given as objects
 * (`conductor.start(workflow)`): a check parses, reads only its own step's output and the
 * inputs, and calls no status function. Throws `E_WORKFLOW_INVALID` before a run exists.
 */
export function assertChecks(workflow: Workflow): void {
  const issues: Issue[] = [];
  workflow.steps.forEach((step, i) => {
    if (step.check === undefined) return;
    const path = `steps[${i}].check`;
    try {
      const expr = parseCondition(step.check);
      if (expr.usesStatus) issues.push({ path, message: 'check: runs only after the step succeeded: status functions mean nothing there' });
      for (const ref of expressionReferences(expr)) {
        if (ref.context === 'job') issues.push({ path, message: 'check: cannot read job' });
        else if (ref.context === 'steps' && (ref.name?.toLowerCase() !== step.id.toLowerCase() || (ref.property !== undefined && ref.property.toLowerCase() !== 'output'))) {
          issues.push({ path, message: `check: reads only steps.${step.id}.output and inputs` });
        }
      }
    } catch (err) {
      issues.push({ path, message: toSymphonyError(err).message });
    }
  });
  if (issues.length > 0) throw validationError('E_WORKFLOW_INVALID', `workflow "${workflow.name}"`, issues);
}
