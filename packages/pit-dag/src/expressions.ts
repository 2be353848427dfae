import { SymphonyError, findStepReferences } from '@symphony/types';

/**
 * The `${{ }}` expression language of `with:` and `if:`, parsed and evaluated here without
 * `eval`: literals (numbers, 'strings', "strings", true, false, null), paths rooted at `steps`
 * or `inputs` (`steps.x.output.items[0]`, `steps.x.outcome`, `inputs.name`), `==`, `!=`, `<`,
 * `<=`, `>`, `>=`, `&&`, `||`, `!` and parentheses. Nothing else exists: no calls, no globals.
 */
export type Expr =
  | { type: 'literal'; value: string | number | boolean | null }
  | { type: 'path'; root: 'steps' | 'inputs'; keys: Array<string | number> }
  | { type: 'not'; operand: Expr }
  | { type: 'binary'; op: BinaryOp; left: Expr; right: Expr };
export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';

/** What paths resolve against: the run's inputs and each finished step's output and outcome. */
export interface ExpressionContext {
  inputs: Record<string, unknown>;
  steps: Record<string, { output?: unknown; outcome?: 'success' | 'failure' | 'skipped' }>;
}

const MAX_DEPTH = 64;

type Token = { kind: 'num' | 'str' | 'ident' | 'op'; text: string; value?: string | number; at: number };

function invalid(source: string, at: number, why: string): SymphonyError {
  return new SymphonyError('E_EXPRESSION_INVALID', `expression "${source}" is invalid at ${at}: ${why}`, {
    details: { expression: source, position: at },
  });
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!m) throw invalid(source, i, 'malformed number');
      tokens.push({ kind: 'num', text: m[0], value: Number(m[0]), at: i });
      i += m[0].length;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= source.length) throw invalid(source, i, 'unterminated string');
        const d = source[j] as string;
        // GitHub style: a doubled quote inside a string is one quote.
        if (d === c && source[j + 1] === c) {
          value += c;
          j += 2;
        } else if (d === c) break;
        else {
          value += d;
          j++;
        }
      }
      tokens.push({ kind: 'str', text: source.slice(i, j + 1), value, at: i });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'ident', text: m[0], at: i });
      i += m[0].length;
    } else {
      const two = source.slice(i, i + 2);
      if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
        tokens.push({ kind: 'op', text: two, at: i });
        i += 2;
      } else if ('!<>().[]'.includes(c)) {
        tokens.push({ kind: 'op', text: c, at: i });
        i++;
      } else throw invalid(source, i, `unexpected character "${c}"`);
    }
  }
  return tokens;
}

/** Parses one expression (the text inside `${{ }}`); throws `E_EXPRESSION_INVALID`. */
export function parseExpression(source: string): Expr {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const at = (): number => peek()?.at ?? source.length;
  const accept = (text: string): boolean => {
    if (peek()?.kind === 'op' && peek()?.text === text) {
      pos++;
      return true;
    }
    return false;
  };
  const expect = (text: string): void => {
    if (!accept(text)) throw invalid(source, at(), `expected "${text}"`);
  };
  function binary(next: (depth: number) => Expr, ops: readonly BinaryOp[], depth: number, chain: boolean): Expr {
    let left = next(depth);
    for (;;) {
      const t = peek();
      if (t?.kind !== 'op' || !ops.includes(t.text as BinaryOp)) return left;
      pos++;
      left = { type: 'binary', op: t.text as BinaryOp, left, right: next(depth) };
      if (!chain) {
        const again = peek();
        if (again?.kind === 'op' && ops.includes(again.text as BinaryOp)) throw invalid(source, again.at, 'comparisons do not chain: add parentheses');
        return left;
      }
    }
  }
  const or = (d: number): Expr => binary(and, ['||'], d, true);
  const and = (d: number): Expr => binary(comparison, ['&&'], d, true);
  const comparison = (d: number): Expr => binary(unary, ['==', '!=', '<', '<=', '>', '>='], d, false);
  function unary(depth: number): Expr {
    if (depth > MAX_DEPTH) throw invalid(source, at(), `nested more than ${MAX_DEPTH} levels`);
    if (accept('!')) return { type: 'not', operand: unary(depth + 1) };
    if (accept('(')) {
      const inner = or(depth + 1);
      expect(')');
      return inner;
    }
    const t = peek();
    if (!t) throw invalid(source, source.length, 'unexpected end');
    pos++;
    if (t.kind === 'num' || t.kind === 'str') return { type: 'literal', value: t.value as string | number };
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') return { type: 'literal', value: t.text === 'true' };
      if (t.text === 'null') return { type: 'literal', value: null };
      if (t.text !== 'steps' && t.text !== 'inputs') throw invalid(source, t.at, `unknown name "${t.text}" (use steps.<id>... or inputs.<name>)`);
      const keys: Array<string | number> = [];
      for (;;) {
        if (accept('.')) {
          const key = peek();
          if (key?.kind !== 'ident') throw invalid(source, at(), 'expected a property name after "."');
          pos++;
          keys.push(key.text);
        } else if (accept('[')) {
          const key = peek();
          if (key?.kind !== 'num' && key?.kind !== 'str') throw invalid(source, at(), 'expected a number or string index');
          pos++;
          keys.push(key.value as string | number);
          expect(']');
        } else break;
      }
      if (keys.length === 0) throw invalid(source, t.at, `"${t.text}" needs a property`);
      return { type: 'path', root: t.text, keys };
    }
    throw invalid(source, t.at, `unexpected "${t.text}"`);
  }
  const expr = or(0);
  if (pos < tokens.length) throw invalid(source, at(), `unexpected "${peek()?.text}"`);
  return expr;
}

export function isTruthy(value: unknown): boolean {
  return !(value === false || value === 0 || value === '' || value === null || value === undefined || Number.isNaN(value));
}

/** Evaluates a parsed expression. A missing property is `null`, never an error. */
export function evaluate(expr: Expr, context: ExpressionContext): unknown {
  switch (expr.type) {
    case 'literal':
      return expr.value;
    case 'not':
      return !isTruthy(evaluate(expr.operand, context));
    case 'path': {
      let value: unknown = context[expr.root];
      for (const key of expr.keys) {
        if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return null;
        value = (value as Record<string | number, unknown>)[key];
      }
      return value === undefined ? null : value;
    }
    case 'binary': {
      const left = evaluate(expr.left, context);
      if (expr.op === '&&') return isTruthy(left) ? evaluate(expr.right, context) : left;
      if (expr.op === '||') return isTruthy(left) ? left : evaluate(expr.right, context);
      const right = evaluate(expr.right, context);
      if (expr.op === '==') return equal(left, right);
      if (expr.op === '!=') return !equal(left, right);
      // Ordering only between two numbers or two strings; anything else is false.
      if (!((typeof left === 'number' && typeof right === 'number') || (typeof left === 'string' && typeof right === 'string'))) return false;
      if (expr.op === '<') return left < right;
      if (expr.op === '<=') return left <= right;
      if (expr.op === '>') return left > right;
      return left >= right;
    }
  }
}

/** Strict for primitives (no coercion); structural for arrays and objects. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const WHOLE = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/;
const EMBEDDED = /\$\{\{([\s\S]*?)\}\}/g;

/** Every expression inside a `with:` value or `if:` string, parsed (for validation up front). */
export function parseTemplates(value: unknown, out: Expr[] = []): Expr[] {
  if (typeof value === 'string') for (const m of value.matchAll(EMBEDDED)) out.push(parseExpression(m[1] as string));
  else if (Array.isArray(value)) for (const v of value) parseTemplates(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) parseTemplates(v, out);
  return out;
}

/**
 * Resolves a step's `with:` against the context: a string that is exactly one `${{ expr }}`
 * becomes the value itself (any type); expressions embedded in longer strings are interpolated
 * as text (objects as JSON); objects and arrays are resolved recursively.
 */
export function resolveTemplate(value: unknown, context: ExpressionContext): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole && !(whole[1] as string).includes('}}')) return evaluate(parseExpression(whole[1] as string), context);
    return value.replace(EMBEDDED, (_, src: string) => {
      const v = evaluate(parseExpression(src), context);
      return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveTemplate(v, context));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveTemplate(v, context);
    return out;
  }
  return value;
}

/** `if:` as `${{ expr }}` or a bare `expr`; true when the result is truthy. */
export function parseCondition(condition: string): Expr {
  const whole = WHOLE.exec(condition);
  return parseExpression(whole ? (whole[1] as string) : condition);
}

export function evaluateCondition(condition: string, context: ExpressionContext): boolean {
  return isTruthy(evaluate(parseCondition(condition), context));
}

/** Step ids an `if:` reads: it may be a bare expression, so it is wrapped before scanning. */
export function conditionReferences(condition: string, into: Set<string> = new Set()): Set<string> {
  return findStepReferences(WHOLE.test(condition) ? condition : `\${{ ${condition} }}`, into);
}
