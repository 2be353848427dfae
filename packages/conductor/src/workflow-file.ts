import { validationError, type Workflow } from '@symphony/types';
import { loadWorkflow, parseWorkflowSource } from './workflow-validate.js';

/**
 * Reads a workflow from YAML or JSON and validates it whole; `E_WORKFLOW_INVALID` carries
 * `details.diagnostics` (file, line, column, step id, did-you-mean). `uses:` is checked for form
 * only: pass `extensions` to `loadWorkflow` to check it against what is installed.
 */
export async function loadWorkflowFile(path: string): Promise<Workflow> {
  return loadWorkflow(path);
}

export function parseWorkflowText(text: string, source = 'workflow'): Workflow {
  return parseWorkflowSource(text, { file: source });
}

/** Applies declared types and defaults to `--input k=v` values; unknown or missing ones fail. */
export function resolveInputs(workflow: Workflow, given: Record<string, unknown>): Record<string, unknown> {
  const declared = workflow.inputs ?? {};
  const out: Record<string, unknown> = {};
  const issues: { path: string; message: string }[] = [];
  for (const key of Object.keys(given)) if (!Object.hasOwn(declared, key)) issues.push({ path: `inputs.${key}`, message: `workflow "${workflow.name}" declares no input "${key}" (declared: ${Object.keys(declared).join(', ') || 'none'})` });
  for (const [name, spec] of Object.entries(declared)) {
    const raw = (Object.hasOwn(given, name) ? given[name] : undefined) ?? spec.default;
    if (raw === undefined) {
      if (spec.required) issues.push({ path: `inputs.${name}`, message: 'is required' });
      continue;
    }
    if (spec.type === 'number') {
      // Only a number or numeric text: Number('') is 0, Number(true) 1, Number([7]) 7 (a JSON body's inputs).
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) issues.push({ path: `inputs.${name}`, message: `must be a number, not "${String(raw)}"` });
      else out[name] = n;
    } else if (spec.type === 'boolean') {
      if (raw === true || raw === 'true') out[name] = true;
      else if (raw === false || raw === 'false') out[name] = false;
      else issues.push({ path: `inputs.${name}`, message: `must be true or false, not "${String(raw)}"` });
    } else if (typeof raw === 'object' || typeof raw === 'function') issues.push({ path: `inputs.${name}`, message: `must be text, not ${Array.isArray(raw) ? 'a list' : 'an object'}` });
    else out[name] = String(raw);
  }
  if (issues.length > 0) throw validationError('E_INPUT_INVALID', `inputs of workflow "${workflow.name}"`, issues);
  return out;
}
