import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import {
  RetryPolicySchema,
  StepSchema,
  SymphonyError,
  WorkflowInputSchema,
  WorkflowSchema,
  formatPath,
  parseUses,
  type Workflow,
} from '@symphony/types';
import {
  EXPRESSION_FUNCTIONS,
  STEP_PROPERTIES,
  buildRunGraph,
  conditionSource,
  expressionReferences,
  parseExpression,
  templateSpans,
  type Expr,
} from '@symphony/pit-dag';

/** One problem in a workflow file, where it is (1-based line and column) and what to do about it. */
export interface WorkflowDiagnostic {
  file: string;
  line: number;
  column: number;
  /** The step the problem is in, when it is in one. */
  stepId?: string;
  /** The dotted path to the offending value (`steps[1].uses`). */
  path: string;
  message: string;
  /** The likely intended text (a key, step id, extension, method or capability), when one is close. */
  suggestion?: string;
}

/** An installed extension as the Stage lists it (`stage.list()` fits as it is). */
export interface ExtensionCatalogEntry {
  id: string;
  methods: readonly string[];
  capabilities?: ReadonlyArray<string | { name: string }>;
  /** JSON Schema of each method's input (a manifest's `contributes.methods.<m>.input`), when known. */
  inputs?: Readonly<Record<string, unknown>>;
}

export interface ValidateWorkflowOptions {
  /** Shown in every diagnostic; default `workflow`. */
  file?: string;
  /**
   * The installed extensions, or a function returning them. When given, every `uses:` must name
   * an installed extension and one of its methods, and every `capability:` must have a provider.
   */
  extensions?: readonly ExtensionCatalogEntry[] | (() => readonly ExtensionCatalogEntry[]);
}

export interface WorkflowValidation {
  /** The parsed workflow, when there are no diagnostics. */
  workflow?: Workflow;
  diagnostics: WorkflowDiagnostic[];
}

type Path = ReadonlyArray<string | number>;

/** Keys each level of a workflow file accepts, for "did you mean" on unknown keys. */
const KEYS: Record<'workflow' | 'step' | 'retry' | 'input', readonly string[]> = {
  workflow: Object.keys(WorkflowSchema.shape),
  step: Object.keys(StepSchema.shape),
  retry: Object.keys(RetryPolicySchema.shape),
  input: Object.keys(WorkflowInputSchema.shape),
};

function keysAt(path: Path): readonly string[] {
  if (path.length === 0) return KEYS.workflow;
  if (path[0] === 'steps' && path.length === 2) return KEYS.step;
  if (path[0] === 'steps' && path.length === 3 && path[2] === 'retry') return KEYS.retry;
  if (path[0] === 'inputs' && path.length === 2) return KEYS.input;
  return [];
}

/** Damerau-Levenshtein distance (optimal string alignment), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      row[j] = Math.min((d[i - 1] as number[])[j] as number + 1, (row[j - 1] as number) + 1, ((d[i - 1] as number[])[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The closest candidate, when it is close enough to be a typo (or differs only in case). */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = distance(word, c);
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best === undefined) return undefined;
  // Short words only match by case (`c` is no typo of `a`); longer ones within a third of their length.
  const longest = Math.max(word.length, best.length);
  const limit = longest < 3 ? 0 : Math.max(1, Math.floor(longest / 3));
  return bestDistance <= limit ? best : undefined;
}

/** Names that plain objects treat specially: never a step id or an input name. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

const mean = (s: string | undefined): string => (s === undefined ? '' : ` (did you mean "${s}"?)`);

/**
 * Validates a workflow's text (YAML or JSON) whole, before anything runs: YAML syntax, the
 * schema (unknown keys with a did-you-mean), unique step ids, `needs`, every `${{ }}` parsed and
 * its `steps.*` / `inputs.*` references resolved, forward references and cycles, input defaults
 * against their types, and (given `extensions`) every `uses:` against the installed extensions.
 * Every problem comes back at once, each with file, line, column and step id.
 */
export function validateWorkflowSource(source: string, options: ValidateWorkflowOptions = {}): WorkflowValidation {
  const file = options.file ?? 'workflow';
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const diagnostics: WorkflowDiagnostic[] = [];
  const at = (offset: number): { line: number; column: number } => {
    const pos = lines.linePos(Math.max(0, Math.min(offset, source.length)));
    return { line: pos.line, column: pos.col };
  };
  for (const error of doc.errors) {
    diagnostics.push({ file, ...at(error.pos[0]), path: '(yaml)', message: `not valid YAML: ${error.message.split('\n')[0]}` });
  }
  if (diagnostics.length > 0) return { diagnostics: sorted(diagnostics) };

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { diagnostics: [{ file, line: 1, column: 1, path: '(yaml)', message: `not valid YAML: ${(err as Error).message}` }] };
  }

  /** The YAML node at `path` (or its nearest existing ancestor), and the key node when asked. */
  const locate = (path: Path, key = false): { line: number; column: number } => {
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
        keyNode = undefined;
        node = node.items[segment];
      } else break;
    }
    const target = (key && keyNode ? keyNode : node) as YamlNode | undefined;
    return at(target?.range?.[0] ?? 0);
  };
  const nodeAt = (path: Path): YamlNode | undefined => {
    const n = doc.getIn(path as (string | number)[], true);
    return n && typeof n === 'object' && 'range' in (n as object) ? (n as YamlNode) : undefined;
  };
  const stepIdAt = (path: Path): string | undefined => {
    if (path[0] !== 'steps' || typeof path[1] !== 'number') return undefined;
    const id = (data as { steps?: Array<{ id?: unknown }> } | null)?.steps?.[path[1]]?.id;
    return typeof id === 'string' ? id : undefined;
  };
  const report = (path: Path, message: string, extra: { suggestion?: string; key?: boolean; offset?: number } = {}): void => {
    let pos = locate(path, extra.key);
    if (extra.offset !== undefined) pos = at(extra.offset);
    const stepId = stepIdAt(path);
    diagnostics.push({
      file,
      ...pos,
      ...(stepId !== undefined ? { stepId } : {}),
      path: formatPath(path),
      message,
      ...(extra.suggestion !== undefined ? { suggestion: extra.suggestion } : {}),
    });
  };

  // 6 (defined here, run last). uses: against the installed extensions.
  const checkUses = (steps: ReadonlyArray<{ uses?: unknown; with?: unknown }>, skip: ReadonlySet<number> = new Set()): void => {
    const catalog = typeof options.extensions === 'function' ? options.extensions() : options.extensions;
    if (!catalog) return;
    const byId = new Map(catalog.map((e) => [e.id, e] as const));
    const capabilities = new Set(catalog.flatMap((e) => (e.capabilities ?? []).map((c) => (typeof c === 'string' ? c : c.name))));
    steps.forEach((step, i) => {
      if (skip.has(i) || typeof step.uses !== 'string') return;
      const uses = parseUses(step.uses);
      const path = ['steps', i, 'uses'];
      if (!uses) return;
      if (uses.kind === 'capability') {
        if (!capabilities.has(uses.capability)) {
          const suggestion = didYouMean(uses.capability, capabilities);
          report(path, `no installed extension provides capability "${uses.capability}"${suggestion ? mean(`capability:${suggestion}`) : ` (provided: ${[...capabilities].sort().join(', ') || 'none'})`}`, suggestion ? { suggestion: `capability:${suggestion}` } : {});
        }
        return;
      }
      const ext = byId.get(uses.extensionId);
      if (!ext) {
        const suggestion = didYouMean(uses.extensionId, byId.keys());
        report(path, `extension "${uses.extensionId}" is not installed${suggestion ? mean(`${suggestion}/${uses.method}`) : ''}`, suggestion ? { suggestion: `${suggestion}/${uses.method}` } : {});
        return;
      }
      if (!ext.methods.includes(uses.method)) {
        const suggestion = didYouMean(uses.method, ext.methods);
        report(path, `extension "${ext.id}" has no method "${uses.method}"${suggestion ? mean(`${ext.id}/${suggestion}`) : ` (methods: ${ext.methods.join(', ') || 'none'})`}`, suggestion ? { suggestion: `${ext.id}/${suggestion}` } : {});
        return;
      }
      const schema = ext.inputs?.[uses.method];
      const withValue = step.with ?? {};
      if (schema && typeof schema === 'object' && withValue && typeof withValue === 'object' && !Array.isArray(withValue)) {
        checkWith(['steps', i], step.uses, withValue as Record<string, unknown>, schema as InputSchema, report);
      }
    });
  };

  // 1. The schema.
  const parsed = WorkflowSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) schemaIssue(issue, data, report);
    // Every problem at once: where the structure allows (steps a list of objects), each `uses:`
    // is still resolved, except in steps whose own `uses:`/`with:` the schema already refused.
    const steps = (data as { steps?: unknown } | null)?.steps;
    if (Array.isArray(steps)) {
      const skip = new Set<number>();
      for (const issue of parsed.error.issues) {
        if (issue.path[0] === 'steps' && typeof issue.path[1] === 'number' && (issue.path[2] === 'uses' || issue.path[2] === 'with')) skip.add(issue.path[1]);
      }
      checkUses(steps.map((st) => (st && typeof st === 'object' && !Array.isArray(st) ? (st as { uses?: unknown; with?: unknown }) : {})), skip);
    }
    return { diagnostics: sorted(diagnostics) };
  }
  const workflow = parsed.data;

  // 2. Step ids and needs.
  const ids = workflow.steps.map((s) => s.id);
  const index = new Map(ids.map((id, i) => [id, i] as const));
  const folded = new Map(ids.map((id, i) => [id.toLowerCase(), i] as const));
  const seen = new Map<string, number>();
  for (const name of Object.keys(workflow.inputs ?? {})) {
    if (RESERVED.has(name)) report(['inputs', name], `"${name}" cannot be an input name`, { key: true });
  }
  workflow.steps.forEach((step, i) => {
    if (RESERVED.has(step.id)) report(['steps', i, 'id'], `"${step.id}" cannot be a step id`);
    const other = seen.get(step.id.toLowerCase());
    if (other !== undefined) report(['steps', i, 'id'], `duplicate step id "${step.id}" (step ${other + 1} has it${ids[other] === step.id ? '' : ` as "${ids[other]}"`}; ids are case-insensitive in expressions)`);
    else seen.set(step.id.toLowerCase(), i);
    step.needs?.forEach((need, j) => {
      if (need === step.id) report(['steps', i, 'needs', j], 'a step cannot need itself');
      else if (!index.has(need)) {
        const suggestion = didYouMean(need, ids);
        report(['steps', i, 'needs', j], `needs unknown step "${need}"${mean(suggestion)}`, suggestion ? { suggestion } : {});
      }
    });
  });

  // 3. Expressions, with their references.
  const ancestors = (i: number): Set<number> => {
    const out = new Set<number>();
    const stack = [i];
    while (stack.length > 0) {
      const v = stack.pop() as number;
      for (const need of workflow.steps[v]?.needs ?? []) {
        const p = index.get(need);
        if (p !== undefined && !out.has(p)) {
          out.add(p);
          stack.push(p);
        }
      }
    }
    return out;
  };
  const inputNames = Object.keys(workflow.inputs ?? {});
  const checkExpression = (path: Path, i: number, expr: Expr, exprOffset: number | undefined, inputsOnly = false): void => {
    for (const ref of expressionReferences(expr)) {
      if (inputsOnly && ref.context !== 'inputs') continue;
      const offset = exprOffset === undefined ? undefined : exprOffset + ref.column;
      if (ref.context === 'inputs' && ref.name !== undefined && !inputNames.includes(ref.name)) {
        const suggestion = didYouMean(ref.name, inputNames);
        report(path, `reads inputs.${ref.name}, which the workflow does not declare${suggestion ? mean(suggestion) : ` (declared: ${inputNames.join(', ') || 'none'})`}`, {
          ...(suggestion ? { suggestion } : {}),
          ...(offset !== undefined ? { offset } : {}),
        });
      }
      if (ref.context !== 'steps' || ref.name === undefined) continue;
      const j = index.get(ref.name) ?? folded.get(ref.name.toLowerCase());
      if (j === undefined) {
        const suggestion = didYouMean(ref.name, ids);
        report(path, `references unknown step "${ref.name}"${mean(suggestion)}`, { ...(suggestion ? { suggestion } : {}), ...(offset !== undefined ? { offset } : {}) });
        continue;
      }
      if (j === i) report(path, `step "${ids[i]}" cannot read its own ${ref.property ?? 'state'}`, offset !== undefined ? { offset } : {});
      else if (j > i && !ancestors(i).has(j)) {
        report(path, `reads step "${ids[j]}", which is declared later and not among this step's needs: add it to needs`, {
          suggestion: ids[j] as string,
          ...(offset !== undefined ? { offset } : {}),
        });
      }
      if (ref.property !== undefined && !STEP_PROPERTIES.includes(ref.property.toLowerCase())) {
        const suggestion = didYouMean(ref.property, STEP_PROPERTIES);
        report(path, `steps.${ref.name} has no "${ref.property}" (a step offers ${STEP_PROPERTIES.join(', ')})${mean(suggestion)}`, {
          ...(suggestion ? { suggestion } : {}),
          ...(offset !== undefined ? { offset } : {}),
        });
      }
    }
  };
  /** Offset in the file of `text` (a substring of the scalar's value) when it appears verbatim. */
  const offsetIn = (path: Path, text: string, from = 0): number | undefined => {
    const node = nodeAt(path);
    const range = node?.range;
    if (!range) return undefined;
    const raw = source.slice(range[0], range[1]);
    const k = raw.indexOf(text, from);
    return k < 0 ? undefined : range[0] + k;
  };
  const checkTemplate = (path: Path, i: number, value: unknown): void => {
    if (typeof value === 'string') {
      if (!value.includes('${{')) return;
      const base = nodeAt(path)?.range?.[0] ?? 0;
      let searchFrom = 0;
      for (const span of templateSpans(value)) {
        const text = span.end < 0 ? '${{' : value.slice(span.start, span.end);
        const start = offsetIn(path, text, searchFrom);
        if (start !== undefined) searchFrom = start - base + 1;
        if (span.end < 0) {
          report(path, '"${{" has no closing "}}"', withOffset(start));
          break;
        }
        const innerOffset = start === undefined ? undefined : start + 3;
        try {
          checkExpression(path, i, parseExpression(span.inner), innerOffset);
        } catch (err) {
          report(path, expressionMessage(err), withOffset(innerOffset === undefined ? undefined : innerOffset + positionOf(err)));
        }
      }
    } else if (Array.isArray(value)) value.forEach((v, k) => checkTemplate([...path, k], i, v));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkTemplate([...path, k], i, v);
  };
  /** `check:` reads the step's own result and the inputs; it runs only after a success. */
  const checkCheck = (check: string, i: number): void => {
    const path = ['steps', i, 'check'];
    const text = conditionSource(check);
    const exprOffset = offsetIn(path, text);
    const own = ids[i] as string;
    if (check.trim() === '' || text.trim() === '') {
      report(path, `check: is empty (write an expression over steps.${own}.output, e.g. \${{ steps.${own}.output.ok }})`);
      return;
    }
    let expr: Expr;
    try {
      expr = parseExpression(text);
    } catch (err) {
      report(path, expressionMessage(err), { ...withOffset(exprOffset === undefined ? undefined : exprOffset + positionOf(err)) });
      return;
    }
    if (expr.usesStatus) report(path, `check: runs only after the step succeeded: success(), failure(), always() and cancelled() mean nothing there`, withOffset(exprOffset));
    for (const ref of expressionReferences(expr)) {
      const offset = exprOffset === undefined ? undefined : exprOffset + ref.column;
      if (ref.context === 'job') report(path, 'check: cannot read job (it runs after this step succeeded)', withOffset(offset));
      if (ref.context !== 'steps') continue;
      if (ref.name === undefined || ref.name.toLowerCase() !== own.toLowerCase()) {
        report(path, `check: reads only its own step (steps.${own}) and inputs${ref.name === undefined ? '' : `, not step "${ref.name}"`}: pass what it needs through with:`, {
          suggestion: own,
          ...withOffset(offset),
        });
        continue;
      }
      if (ref.property !== undefined && ref.property.toLowerCase() !== 'output') {
        report(path, `check: reads steps.${own}.output (its outcome is always success there), not "${ref.property}"`, { suggestion: 'output', ...withOffset(offset) });
      }
    }
    // Inputs are checked like everywhere else (the step's own references are allowed above).
    checkExpression(path, -1, expr, exprOffset, true);
  };
  workflow.steps.forEach((step, i) => {
    if (step.with) checkTemplate(['steps', i, 'with'], i, step.with);
    if (step.if !== undefined) {
      const path = ['steps', i, 'if'];
      const text = conditionSource(step.if);
      const exprOffset = offsetIn(path, text);
      if (step.if.trim() === '') {
        report(path, 'if: is empty (leave it out to run on success(), or write always())');
        return;
      }
      try {
        checkExpression(path, i, parseExpression(text), exprOffset);
      } catch (err) {
        report(path, expressionMessage(err), { ...withOffset(exprOffset === undefined ? undefined : exprOffset + positionOf(err)) });
      }
    }
    if (step.check !== undefined) checkCheck(step.check, i);
  });

  // 4. Cycles (references and needs are checked above; the tracker's graph finds the loops).
  if (diagnostics.length === 0) {
    try {
      buildRunGraph(workflow);
    } catch (err) {
      const e = err as SymphonyError;
      if (e.code === 'E_CYCLE') {
        const cycle = (e.details.steps as string[] | undefined) ?? [];
        const first = index.get(cycle[0] ?? '') ?? 0;
        const needsAt = workflow.steps[first]?.needs?.indexOf(cycle[cycle.length - 1] ?? '') ?? -1;
        report(needsAt >= 0 ? ['steps', first, 'needs', needsAt] : ['steps', first], `steps ${[...cycle, cycle[0]].join(' -> ')} depend on each other in a cycle`);
      } else {
        for (const issue of (e.details?.issues as Array<{ path: string; message: string }> | undefined) ?? [{ path: '', message: e.message }]) {
          const m = /^steps\[(\d+)\]/.exec(issue.path);
          report(m ? ['steps', Number(m[1])] : [], issue.message);
        }
      }
    }
  }

  // 5. Input declarations: a default must have the declared type.
  for (const [name, spec] of Object.entries(workflow.inputs ?? {})) {
    if (spec.default !== undefined && typeof spec.default !== spec.type) {
      report(['inputs', name, 'default'], `input "${name}" is declared ${spec.type} but its default is a ${typeof spec.default}`);
    }
  }

  // 6. uses: against the installed extensions.
  checkUses(workflow.steps);

  return diagnostics.length > 0 ? { diagnostics: sorted(diagnostics) } : { workflow, diagnostics };
}

/** The parts of a method's input JSON Schema checked here (top-level properties only). */
interface InputSchema {
  type?: string | string[];
  properties?: Record<string, { type?: string | string[] }>;
  required?: string[];
  additionalProperties?: unknown;
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const fits = (v: unknown, type: string | string[] | undefined): boolean => {
  if (type === undefined) return true;
  const t = typeOf(v);
  return (Array.isArray(type) ? type : [type]).some((want) => want === t || (want === 'number' && t === 'integer'));
};
const dynamic = (v: unknown): boolean => typeof v === 'string' && v.includes('${{');

/**
 * `with:` against the method's declared input: required keys present, no unknown key when the
 * schema forbids others, and literal values of the declared type (values with `${{ }}` are only
 * known at run time, so they are not judged here).
 */
function checkWith(stepPath: Path, uses: string, value: Record<string, unknown>, schema: InputSchema, report: (path: Path, message: string, extra?: { suggestion?: string; key?: boolean }) => void): void {
  if (schema.type !== undefined && !fits({}, schema.type)) return;
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  for (const key of schema.required ?? []) {
    if (!(key in value)) report(value === undefined || Object.keys(value).length === 0 ? stepPath : [...stepPath, 'with'], `${uses} needs "${key}" in with:`);
  }
  for (const [key, v] of Object.entries(value)) {
    const spec = properties[key];
    if (!spec) {
      if (schema.additionalProperties === false) {
        const suggestion = didYouMean(key, names);
        report([...stepPath, 'with', key], `${uses} takes no "${key}"${suggestion ? mean(suggestion) : ` (it takes: ${names.join(', ') || 'nothing'})`}`, { key: true, ...(suggestion ? { suggestion } : {}) });
      }
      continue;
    }
    if (!dynamic(v) && !fits(v, spec.type)) {
      report([...stepPath, 'with', key], `${uses} expects "${key}" to be ${[spec.type].flat().join(' or ')}, not ${typeOf(v)}`);
    }
  }
}

function withOffset(offset: number | undefined): { offset?: number } {
  return offset === undefined ? {} : { offset };
}

function positionOf(err: unknown): number {
  const position = (err as { details?: { position?: unknown } }).details?.position;
  return typeof position === 'number' ? position : 0;
}

function expressionMessage(err: unknown): string {
  const message = (err as Error).message;
  const unknownFn = /Unrecognized function: '([^']+)'/.exec(message);
  if (unknownFn?.[1]) {
    const suggestion = didYouMean(unknownFn[1], EXPRESSION_FUNCTIONS);
    return `${message}${mean(suggestion)}`;
  }
  return message;
}

/** The parts of a zod issue read here. */
interface SchemaIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

function schemaIssue(
  issue: SchemaIssue,
  data: unknown,
  report: (path: Path, message: string, extra?: { suggestion?: string; key?: boolean }) => void,
): void {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const allowed = keysAt(path);
    for (const key of issue.keys ?? []) {
      const suggestion = didYouMean(key, allowed);
      report([...path, key], `unknown key "${key}"${suggestion ? mean(suggestion) : allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`, {
        key: true,
        ...(suggestion ? { suggestion } : {}),
      });
    }
    return;
  }
  let value: unknown = data;
  for (const p of path) value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[p] : undefined;
  const last = path[path.length - 1];
  if (path.length === 0 && issue.code === 'invalid_type') {
    report(path, `a workflow file is a mapping with "name" and "steps"; this one holds ${value === null || value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : `a ${typeof value}`}`);
    return;
  }
  if (value === undefined && issue.code === 'invalid_type' && typeof last === 'string') {
    report(path, `missing required key "${last}"`);
    return;
  }
  if (last === 'uses') {
    report(path, `uses: "${String(value)}" must be "<extension-id>/<method>" (like acme.files/list) or "capability:<name>"`);
    return;
  }
  report(path, issue.message);
}

function sorted(diagnostics: WorkflowDiagnostic[]): WorkflowDiagnostic[] {
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** One line per diagnostic: `file:line:column: message [step id]`. */
export function formatDiagnostics(diagnostics: readonly WorkflowDiagnostic[]): string {
  return diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}${d.stepId ? ` [step ${d.stepId}]` : ''}`).join('\n');
}

/** `E_WORKFLOW_INVALID` carrying every diagnostic in `details.diagnostics`. */
export function workflowInvalid(diagnostics: WorkflowDiagnostic[], file: string): SymphonyError {
  const count = `${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}`;
  return new SymphonyError('E_WORKFLOW_INVALID', `workflow ${file} is invalid (${count}):\n${formatDiagnostics(diagnostics)}`, {
    // `issues` ({ path, message }) as every other validation error has them; `diagnostics` with positions.
    details: { path: file, diagnostics, issues: diagnostics.map((d) => ({ path: d.path, message: d.message })) },
  });
}

/** Validates workflow text and returns the workflow, or throws `E_WORKFLOW_INVALID` with diagnostics. */
export function parseWorkflowSource(source: string, options: ValidateWorkflowOptions = {}): Workflow {
  const result = validateWorkflowSource(source, options);
  if (!result.workflow) throw workflowInvalid(result.diagnostics, options.file ?? 'workflow');
  return result.workflow;
}

/** Reads and validates a workflow file (YAML or JSON); `E_NOT_FOUND` when unreadable, else as `parseWorkflowSource`. */
export async function loadWorkflow(path: string, options: Omit<ValidateWorkflowOptions, 'file'> & { file?: string } = {}): Promise<Workflow> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SymphonyError('E_NOT_FOUND', `cannot read workflow file ${path}: ${(cause as Error).message}`, { details: { path }, cause });
  }
  return parseWorkflowSource(text, { ...options, file: options.file ?? path });
}
