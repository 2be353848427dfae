import { z } from 'zod';
import { SymphonyError } from './errors.js';
import { issuesFromZod, validationError, type Issue } from './issues.js';

/** Step and extension ids: letters, digits, `_` and `-`, starting with a letter or `_`. */
export const StepIdSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'must match ^[A-Za-z_][A-Za-z0-9_-]{0,63}$');

/** `acme.csv` style ids: dot-separated lowercase segments. */
export const ExtensionIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/, 'must look like "publisher.name" (lowercase, dot-separated)');

export const MethodNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier');

/** `acme.files/list` (extension method) or `capability:classify` (the Conductor picks). */
export const UsesSchema = z.string().refine((s) => parseUses(s) !== undefined, {
  message: 'must be "<extension-id>/<method>" or "capability:<name>"',
});

export const RetryPolicySchema = z
  .object({
    count: z.number().int().min(0).max(100).default(0),
    backoffMs: z.number().int().min(0).max(3_600_000).default(100),
    factor: z.number().min(1).max(10).default(2),
    /** Error codes that trigger a retry; empty or absent means any code. */
    on: z.array(z.string().regex(/^E_[A-Z0-9_]+$/)).optional(),
  })
  .strict();

/** A name shown on terminals and in artifact names: no control characters (a newline, an ANSI escape would forge output lines). */
const DisplayName = z.string().regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters (newlines, escapes)');

export const StepSchema = z
  .object({
    id: StepIdSchema,
    name: DisplayName.max(200).optional(),
    uses: UsesSchema,
    with: z.record(z.string(), z.unknown()).optional(),
    needs: z.array(StepIdSchema).optional(),
    /** A GitHub Actions expression; `if: false` / `if: true` (YAML booleans) are read as the expressions they spell. */
    if: z.preprocess((v) => (typeof v === 'boolean' || typeof v === 'number' ? String(v) : v), z.string().max(1000)).optional(),
    retry: RetryPolicySchema.optional(),
    timeoutMs: z.number().int().positive().max(86_400_000).optional(),
    continueOnError: z.boolean().optional(),
    /** Capability steps: `false` turns the Conductor's bounded exploration off for this step. */
    explore: z.boolean().optional(),
    /**
     * An expression (with or without `${{ }}`) over this step's own result (`steps.<id>.output`)
     * and the inputs, evaluated after each successful call: its value is the call's quality
     * (`true` 1, `false` 0, a number clamped to 0..1), which the Conductor learns from.
     */
    check: z.string().max(1000).optional(),
  })
  .strict();

export const WorkflowInputSchema = z
  .object({
    description: z.string().optional(),
    type: z.enum(['string', 'number', 'boolean']).default('string'),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    required: z.boolean().optional(),
  })
  .strict();

export const WorkflowSchema = z
  .object({
    name: DisplayName.min(1).max(200),
    description: z.string().optional(),
    inputs: z.record(z.string(), WorkflowInputSchema).optional(),
    concurrency: z.number().int().positive().max(1024).optional(),
    /** Crashes of one extension this run tolerates (each a failed attempt); past it, calls fail `E_EXTENSION_FAILED`. */
    crashBudget: z.number().int().min(0).max(100_000).optional(),
    steps: z.array(StepSchema).min(1),
  })
  .strict();

export type RetryPolicy = z.output<typeof RetryPolicySchema>;
export type Step = z.output<typeof StepSchema>;
export type WorkflowInput = z.output<typeof WorkflowInputSchema>;
export type Workflow = z.output<typeof WorkflowSchema>;
export type WorkflowSource = z.input<typeof WorkflowSchema>;

export type Uses =
  | { kind: 'extension'; extensionId: string; method: string }
  | { kind: 'capability'; capability: string };

export function parseUses(uses: string): Uses | undefined {
  if (uses.startsWith('capability:')) {
    const capability = uses.slice('capability:'.length);
    return /^[a-z][a-z0-9_.-]*$/.test(capability) ? { kind: 'capability', capability } : undefined;
  }
  const slash = uses.indexOf('/');
  if (slash < 0) return undefined;
  const extensionId = uses.slice(0, slash);
  const method = uses.slice(slash + 1);
  if (!ExtensionIdSchema.safeParse(extensionId).success || !MethodNameSchema.safeParse(method).success) return undefined;
  return { kind: 'extension', extensionId, method };
}

/** `${{ steps.<id>.output }}` and `${{ inputs.<name> }}` references found in a value. */
export const EXPRESSION = /\$\{\{\s*([^}]*?)\s*\}\}/g;

export function findStepReferences(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    for (const match of value.matchAll(EXPRESSION)) {
      const ref = /^steps\.([A-Za-z_][A-Za-z0-9_-]*)\b/.exec(match[1] ?? '');
      if (ref?.[1]) into.add(ref[1]);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) findStepReferences(item, into);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) findStepReferences(item, into);
  }
  return into;
}

/**
 * Validates a workflow object: the schema, unique step ids, and that every `needs` entry and
 * every `${{ steps.x.output }}` reference names a step of this workflow. Every problem is
 * reported at once. Cycles are the DAG tracker's job (`E_CYCLE`).
 */
export function validateWorkflow(input: unknown): Workflow {
  const parsed = WorkflowSchema.safeParse(input);
  if (!parsed.success) throw validationError('E_WORKFLOW_INVALID', 'workflow', issuesFromZod(parsed.error));
  const workflow = parsed.data;
  const issues: Issue[] = [];
  const ids = new Set<string>();
  workflow.steps.forEach((step, i) => {
    if (ids.has(step.id)) issues.push({ path: `steps[${i}].id`, message: `duplicate step id "${step.id}"` });
    ids.add(step.id);
  });
  // Expressions read contexts case-insensitively (GitHub's rule): `steps.Build` is step `build`.
  const folded = new Set([...ids].map((id) => id.toLowerCase()));
  const known = (ref: string): boolean => ids.has(ref) || folded.has(ref.toLowerCase());
  workflow.steps.forEach((step, i) => {
    step.needs?.forEach((need, j) => {
      if (!ids.has(need)) issues.push({ path: `steps[${i}].needs[${j}]`, message: `unknown step "${need}"` });
      if (need === step.id) issues.push({ path: `steps[${i}].needs[${j}]`, message: 'a step cannot need itself' });
    });
    for (const ref of findStepReferences(step.with)) {
      if (!known(ref)) issues.push({ path: `steps[${i}].with`, message: `references unknown step "${ref}"` });
    }
    if (step.if) for (const ref of findStepReferences(step.if)) {
      if (!known(ref)) issues.push({ path: `steps[${i}].if`, message: `references unknown step "${ref}"` });
    }
    if (step.check !== undefined) {
      const text = step.check.includes('${{') ? step.check : `\${{ ${step.check} }}`;
      for (const ref of findStepReferences(text)) {
        if (ref.toLowerCase() !== step.id.toLowerCase()) issues.push({ path: `steps[${i}].check`, message: `a check reads only its own step (steps.${step.id}) and inputs, not step "${ref}"` });
      }
    }
  });
  if (issues.length > 0) throw validationError('E_WORKFLOW_INVALID', `workflow "${workflow.name}"`, issues);
  return workflow;
}

export function assertNever(value: never, what: string): never {
  throw new SymphonyError('E_INTERNAL', `unexpected ${what}: ${JSON.stringify(value)}`);
}
