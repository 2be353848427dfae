import { Evaluator, Lexer, Parser, data, type Expr as ActionsExpr } from '@actions/expressions';
import { ContextAccess, FunctionCall, Grouping, IndexAccess, Literal, Logical, Binary, Unary } from '@actions/expressions/ast';
import { ExpressionError } from '@actions/expressions/errors';
import { TokenType } from '@actions/expressions/lexer';
import type { FunctionDefinition, FunctionInfo } from '@actions/expressions/funcs/info';
import { SymphonyError } from '@symphony/types/core';

/**
 * `${{ }}` and `if:` in GitHub Actions' own dialect, parsed and evaluated by GitHub's
 * `@actions/expressions`: literals, `steps.<id>.output|outcome|conclusion`, `inputs.<name>`,
 * `job.status`, `==` (loose, case-insensitive for strings), `!=`, `<`, `<=`, `>`, `>=`, `&&`,
 * `||`, `!`, indexes, `*` filters, `contains`, `startsWith`, `endsWith`, `format`, `join`,
 * `toJSON`, `fromJSON`, `case`, and the status functions `success()`, `failure()`, `always()`,
 * `cancelled()`. No `eval`, no other names.
 */
export interface Expr {
  /** The text inside `${{ }}`, as written. */
  readonly source: string;
  /** GitHub's syntax tree. */
  readonly ast: ActionsExpr;
  /** Does it call `success()`, `failure()`, `always()` or `cancelled()`? */
  readonly usesStatus: boolean;
}
/** The comparison and logical operators of the dialect (for reference; the tree is GitHub's). */
export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

/** A step as expressions see it: GitHub's `outcome` (before continue-on-error) and `conclusion` (after). */
export type StepOutcome = 'success' | 'failure' | 'skipped' | 'cancelled';

/** What expressions read: the run's inputs, each finished step, and the run's status so far. */
export interface ExpressionContext {
  inputs: Record<string, unknown>;
  steps: Record<string, { output?: unknown; outcome?: StepOutcome; conclusion?: StepOutcome }>;
  /**
   * The status the status functions read (GitHub's `job.status`): `failure` once a step failed
   * for good, `cancelled` once the run was cancelled. Absent means `success`. `failed` (not
   * visible to expressions) says a step failed for good: in a cancelled run `failure()` holds
   * only then, as on GitHub.
   */
  job?: { status: 'success' | 'failure' | 'cancelled'; failed?: boolean };
}

/** The context names an expression may use; anything else is a parse error. */
export const EXPRESSION_CONTEXTS: readonly string[] = ['steps', 'inputs', 'job'];
/** The properties a step offers to expressions. */
export const STEP_PROPERTIES: readonly string[] = ['output', 'outcome', 'conclusion'];
/** The functions the dialect knows (GitHub's names; calls are case-insensitive). */
export const EXPRESSION_FUNCTIONS: readonly string[] = [
  'contains', 'startsWith', 'endsWith', 'format', 'join', 'toJSON', 'fromJSON', 'case',
  'success', 'failure', 'always', 'cancelled',
];

const STATUS_NAMES = ['success', 'failure', 'always', 'cancelled'] as const;
const STATUS_INFO: FunctionInfo[] = STATUS_NAMES.map((name) => ({ name, minArgs: 0, maxArgs: 0 }));

function invalid(source: string, why: string, column?: number): SymphonyError {
  // The column is in details.position (and in a validation diagnostic's line:column).
  why = why.replace(/\. Located at position \d+ within expression:[\s\S]*$/, '');
  return new SymphonyError('E_EXPRESSION_INVALID', `expression "${source.trim()}" is invalid: ${why}`, {
    details: { expression: source, ...(column === undefined ? {} : { position: column }) },
  });
}

const cache = new Map<string, Expr>();
const CACHE_MAX = 4096;

/** Parses one expression (the text inside `${{ }}`); throws `E_EXPRESSION_INVALID` with the column. */
export function parseExpression(source: string): Expr {
  const hit = cache.get(source);
  if (hit) return hit;
  if (source.trim() === '') throw invalid(source, 'the expression is empty', 0);
  let ast: ActionsExpr;
  try {
    const lexed = new Lexer(source).lex();
    // @actions/expressions 0.3.61 unescapes only the first doubled quote of a string literal
    // (`value.replace("''", "'")`); GitHub unescapes all of them.
    for (const token of lexed.tokens) {
      if (token.type === TokenType.STRING && token.lexeme.length >= 2) token.value = token.lexeme.slice(1, -1).replaceAll("''", "'");
    }
    ast = new Parser(lexed.tokens, [...EXPRESSION_CONTEXTS], STATUS_INFO).parse();
  } catch (err) {
    // GitHub's positions are 0-based columns within the expression.
    // The lexer says "Located at position N" (1-based) instead.
    const located = /Located at position (\d+)/.exec((err as Error).message);
    const column = err instanceof ExpressionError ? err.pos.column : located ? Number(located[1]) - 1 : undefined;
    throw invalid(source, (err as Error).message, column);
  }
  const expr: Expr = { source, ast, usesStatus: callsStatus(ast) };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(source, expr);
  return expr;
}

function children(node: ActionsExpr): ActionsExpr[] {
  if (node instanceof Unary) return [node.expr];
  if (node instanceof Binary) return [node.left, node.right];
  if (node instanceof Logical) return node.args;
  if (node instanceof Grouping) return [node.group];
  if (node instanceof IndexAccess) return [node.expr, node.index];
  if (node instanceof FunctionCall) return node.args;
  return [];
}

function callsStatus(node: ActionsExpr): boolean {
  if (node instanceof FunctionCall && (STATUS_NAMES as readonly string[]).includes(node.functionName.lexeme.toLowerCase())) return true;
  return children(node).some(callsStatus);
}

/** A reference an expression makes: `steps.<id>[.<property>]` or `inputs.<name>`, with its column. */
export interface ExpressionReference {
  context: 'steps' | 'inputs' | 'job';
  /** The step id or input name; undefined when computed (`steps[format(...)]`, `steps.*`). */
  name?: string;
  /** For steps: the property read after the id (`output`, `outcome`, ...), when literal. */
  property?: string;
  column: number;
}

/** Every `steps.x` / `inputs.y` reference in a parsed expression. */
export function expressionReferences(expr: Expr): ExpressionReference[] {
  const out: ExpressionReference[] = [];
  const literalKey = (node: ActionsExpr): string | undefined =>
    node instanceof Literal && node.literal.kind === data.Kind.String ? (node.literal as data.StringData).value : undefined;
  const visit = (node: ActionsExpr, parent?: ActionsExpr, grandparent?: ActionsExpr): void => {
    if (node instanceof ContextAccess) {
      const context = node.name.lexeme.toLowerCase() as ExpressionReference['context'];
      const ref: ExpressionReference = { context, column: node.name.range.start.column };
      if (parent instanceof IndexAccess && parent.expr === node) {
        const name = literalKey(parent.index);
        if (name !== undefined) ref.name = name;
        if (grandparent instanceof IndexAccess && grandparent.expr === parent) {
          const property = literalKey(grandparent.index);
          if (property !== undefined) ref.property = property;
        }
      }
      out.push(ref);
      return;
    }
    if (node instanceof IndexAccess) {
      visit(node.expr, node, parent);
      visit(node.index, node, parent);
      return;
    }
    for (const child of children(node)) visit(child, node, parent);
  };
  visit(expr.ast);
  return out;
}

/** GitHub's falsy values: `false`, `0`, `-0`, `NaN`, `''` and null (undefined too); all else is truthy. */
export function isTruthy(value: unknown): boolean {
  return !(value === false || value === 0 || value === '' || value === null || value === undefined || Number.isNaN(value));
}

/** Plain JSON-like data → GitHub's expression data. Non-plain objects go through their JSON form. */
function toData(value: unknown, depth = 0): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  switch (typeof value) {
    case 'string':
      return new data.StringData(value);
    case 'number':
      return new data.NumberData(value);
    case 'boolean':
      return new data.BooleanData(value);
    case 'bigint':
      return new data.NumberData(Number(value));
    case 'object':
      break;
    default:
      return new data.Null();
  }
  if (depth > 64) return new data.Null();
  if (Array.isArray(value)) return new data.Array(...value.map((v) => toData(v, depth + 1)));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    let json: unknown;
    try {
      json = JSON.parse(JSON.stringify(value) ?? 'null');
    } catch {
      return new data.Null();
    }
    return toData(json, depth + 1);
  }
  const dict = new data.Dictionary();
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) dict.add(k, toData(v, depth + 1));
  return dict;
}

/** GitHub's expression data → plain values (numbers stay numbers, NaN stays NaN). */
function fromData(d: data.ExpressionData): unknown {
  switch (d.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
      return (d as data.BooleanData).value;
    case data.Kind.Number:
      return (d as data.NumberData).value;
    case data.Kind.String:
      return (d as data.StringData).value;
    case data.Kind.Array:
      return (d as data.Array).values().map(fromData);
    default: {
      const out: Record<string, unknown> = {};
      // defineProperty: a `__proto__` key (fromJSON('{"__proto__":…}')) stays a plain key.
      for (const { key, value } of (d as data.Dictionary).pairs()) Object.defineProperty(out, key, { value: fromData(value), enumerable: true, writable: true, configurable: true });
      return out;
    }
  }
}

function statusFunctions(context: ExpressionContext): Map<string, FunctionDefinition> {
  const status = context.job?.status ?? 'success';
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [name, { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) }];
  return new Map([
    fn('success', () => status === 'success'),
    fn('failure', () => status === 'failure' || (status === 'cancelled' && context.job?.failed === true)),
    fn('cancelled', () => status === 'cancelled'),
    fn('always', () => true),
  ]);
}

function contextData(context: ExpressionContext): data.Dictionary {
  const dict = new data.Dictionary();
  dict.add('inputs', toData(context.inputs ?? {}));
  dict.add('steps', toData(context.steps ?? {}));
  dict.add('job', toData({ status: context.job?.status ?? 'success' }));
  return dict;
}

function run(expr: Expr, context: ExpressionContext): data.ExpressionData {
  try {
    return new Evaluator(expr.ast, contextData(context), statusFunctions(context)).evaluate();
  } catch (err) {
    throw new SymphonyError('E_EXPRESSION_INVALID', `expression "${expr.source.trim()}" failed: ${(err as Error).message}`, {
      details: { expression: expr.source },
      cause: err,
    });
  }
}

/** Evaluates a parsed expression to a plain value. A missing property is `null`, never an error. */
export function evaluate(expr: Expr, context: ExpressionContext): unknown {
  const path = simplePath(expr.source);
  if (path) return walk(path, context);
  return fromData(run(expr, context));
}

/**
 * The common case, `steps.a.output.items` or `inputs.name`: a context and dotted property
 * names, nothing else. Such a path is read directly (GitHub's semantics: names match
 * case-insensitively, a missing or non-object step in the path gives null) instead of converting
 * the whole context into GitHub's data model and back, which costs in proportion to the outputs.
 */
const SIMPLE_PATH = /^\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+)\s*$/;
const KEYWORDS = new Set(['true', 'false', 'null', 'nan', 'infinity']);
const pathCache = new Map<string, string[] | null>();

function simplePath(source: string): string[] | undefined {
  let path = pathCache.get(source);
  if (path === undefined) {
    const m = SIMPLE_PATH.exec(source);
    const parts = m ? (m[1] as string).split('.') : null;
    path = parts && EXPRESSION_CONTEXTS.includes((parts[0] as string).toLowerCase()) && !parts.some((p) => KEYWORDS.has(p.toLowerCase())) ? parts : null;
    if (pathCache.size >= CACHE_MAX) pathCache.clear();
    pathCache.set(source, path);
  }
  return path ?? undefined;
}

function property(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(record, key)) return record[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(record)) if (k.toLowerCase() === lower) return record[k];
  return undefined;
}

function walk(path: readonly string[], context: ExpressionContext): unknown {
  const root = (path[0] as string).toLowerCase();
  let value: unknown = root === 'inputs' ? context.inputs ?? {} : root === 'steps' ? context.steps ?? {} : { status: context.job?.status ?? 'success' };
  for (let i = 1; i < path.length; i++) {
    value = property(value, path[i] as string);
    if (value === undefined) return null;
  }
  // As GitHub's data model would give it: plain JSON (a Buffer, a Date, ... in their JSON form).
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return fromData(toData(value));
  }
  return value;
}

/** One `${{ … }}` in a string: `start` at `$`, `end` after the closing `}}` (-1 when unterminated). */
export interface TemplateSpan {
  start: number;
  end: number;
  /** The text between `${{` and `}}`. */
  inner: string;
}

/**
 * The `${{ }}` spans of a string, as GitHub reads them: a `}}` inside a '…' string literal does
 * not close the expression (`${{ format('}}{0}', x) }}`).
 */
export function templateSpans(text: string): TemplateSpan[] {
  const out: TemplateSpan[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('${{', from);
    if (start < 0) return out;
    let i = start + 3;
    let inString = false;
    let end = -1;
    while (i < text.length) {
      const ch = text[i];
      if (inString) {
        if (ch === "'") {
          if (text[i + 1] === "'") i++;
          else inString = false;
        }
      } else if (ch === "'") inString = true;
      else if (ch === '}' && text[i + 1] === '}') {
        end = i + 2;
        break;
      }
      i++;
    }
    if (end < 0) {
      out.push({ start, end: -1, inner: text.slice(start + 3) });
      return out;
    }
    out.push({ start, end, inner: text.slice(start + 3, end - 2) });
    from = end;
  }
}

/** The single span when `text` is exactly one `${{ }}` (surrounding whitespace allowed). */
function wholeSpan(text: string): TemplateSpan | undefined {
  const spans = templateSpans(text);
  const only = spans[0];
  if (spans.length !== 1 || !only || only.end < 0) return undefined;
  return text.slice(0, only.start).trim() === '' && text.slice(only.end).trim() === '' ? only : undefined;
}

function unterminated(text: string): SymphonyError {
  return new SymphonyError('E_EXPRESSION_INVALID', `"\${{" has no closing "}}" in "${text}"`, { details: { expression: text } });
}

/** Every expression inside a `with:` value or `if:` string, parsed (for validation up front). */
export function parseTemplates(value: unknown, out: Expr[] = []): Expr[] {
  if (typeof value === 'string') {
    for (const span of templateSpans(value)) {
      if (span.end < 0) throw unterminated(value);
      out.push(parseExpression(span.inner));
    }
  }
  else if (Array.isArray(value)) for (const v of value) parseTemplates(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) parseTemplates(v, out);
  return out;
}

/** Text for a value interpolated into a longer string: GitHub's string form; objects as JSON. */
function interpolated(d: data.ExpressionData): string {
  if (d.kind === data.Kind.Null) return '';
  if (d.kind === data.Kind.Array || d.kind === data.Kind.Dictionary) return JSON.stringify(fromData(d));
  return d.coerceString();
}

function interpolatedPlain(v: unknown): string {
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return interpolated(toData(v));
}

/**
 * Resolves a step's `with:` against the context: a string that is exactly one `${{ expr }}`
 * becomes the value itself (any type); expressions embedded in longer strings are interpolated
 * as text (GitHub's string forms; objects and arrays as JSON); objects and arrays are resolved
 * recursively.
 */
export function resolveTemplate(value: unknown, context: ExpressionContext): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return value;
    const whole = wholeSpan(value);
    if (whole) {
      const path = simplePath(whole.inner);
      return path ? walk(path, context) : evaluate(parseExpression(whole.inner), context);
    }
    let out = '';
    let at = 0;
    for (const span of templateSpans(value)) {
      if (span.end < 0) throw unterminated(value);
      const path = simplePath(span.inner);
      out += value.slice(at, span.start) + (path ? interpolatedPlain(walk(path, context)) : interpolated(run(parseExpression(span.inner), context)));
      at = span.end;
    }
    return out + value.slice(at);
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplate(v, context));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTemplate(v, context);
    return out;
  }
  return value;
}

/** The expression text of an `if:`, written as `${{ expr }}` or as a bare `expr`. */
export function conditionSource(condition: string): string {
  return wholeSpan(condition)?.inner ?? condition;
}

/** `if:` as `${{ expr }}` or a bare `expr`. */
export function parseCondition(condition: string): Expr {
  return parseExpression(conditionSource(condition));
}

/**
 * GitHub's rule: an `if:` that calls no status function means `success() && (expr)`, and a step
 * without `if:` runs only on `success()`. So `if: always()` runs after a failure, `if: failure()`
 * only after one, and `if: inputs.x` never after one.
 */
export function evaluateCondition(condition: string | undefined, context: ExpressionContext): boolean {
  const status = context.job?.status ?? 'success';
  if (condition === undefined) return status === 'success';
  const expr = parseCondition(condition);
  if (!expr.usesStatus && status !== 'success') return false;
  return isTruthy(evaluate(expr, context));
}

/** Does this `if:` (or its absence) let the step run once the run has failed or been cancelled? */
export function conditionUsesStatus(condition: string | undefined): boolean {
  if (condition === undefined) return false;
  try {
    return parseCondition(condition).usesStatus;
  } catch {
    return false;
  }
}

/** Step ids that `value` (a `with:` tree) or an `if:` reads; `*` when computed (`steps.*`, `steps[x]`). */
function addReferences(expr: Expr, into: Set<string>): void {
  for (const ref of expressionReferences(expr)) if (ref.context === 'steps') into.add(ref.name ?? '*');
}

export function templateReferences(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return into;
    for (const span of templateSpans(value)) {
      const path = simplePath(span.inner);
      if (path) {
        if ((path[0] as string).toLowerCase() === 'steps') into.add(path[1] as string);
        continue;
      }
      try {
        addReferences(parseExpression(span.inner), into);
      } catch {
        // Invalid expressions are reported by validation; they reference nothing here.
      }
    }
  } else if (Array.isArray(value)) for (const v of value) templateReferences(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) templateReferences(v, into);
  return into;
}

/** Step ids an `if:` reads: it may be a bare expression. */
export function conditionReferences(condition: string, into: Set<string> = new Set()): Set<string> {
  try {
    addReferences(parseCondition(condition), into);
  } catch {
    // Reported by validation.
  }
  return into;
}
