import { SymphonyError } from '@symphony/types';

/**
 * `${{ ... }}` expressions in step `with` values and `if` conditions. The language is small on
 * purpose: paths (`steps.<id>.output.a.b`, `inputs.<name>`), literals (numbers, 'strings',
 * "strings", true, false, null), comparisons (== != < <= > >=), `!`, `&&`, `||`, parentheses.
 * A value that is exactly one expression keeps the expression's type; an expression inside a
 * longer string is interpolated as text.
 */
export interface Scope {
  inputs: Record<string, unknown>;
  steps: Record<string, { output: unknown }>;
}

type Token = { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

const WHOLE = /^\$\{\{\s*([^}]*?)\s*\}\}$/;
const ANY = /\$\{\{\s*([^}]*?)\s*\}\}/g;

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      tokens.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if ('<>!().'.includes(ch)) {
      tokens.push({ t: 'op', v: ch });
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = src.indexOf(ch, i + 1);
      if (end < 0) throw exprError(src, `unterminated string starting at ${i}`);
      tokens.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      tokens.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
    if (id) {
      tokens.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    throw exprError(src, `unexpected "${ch}" at ${i}`);
  }
  return tokens;
}

/** Evaluates one expression (the text between `${{` and `}}`). */
export function evaluateExpression(src: string, scope: Scope): unknown {
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (v: string): boolean => {
    const t = peek();
    return t !== undefined && t.t === 'op' && t.v === v;
  };
  const or = (): unknown => {
    let left = and();
    while (isOp('||')) {
      pos++;
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): unknown => {
    let left = cmp();
    while (isOp('&&')) {
      pos++;
      const right = cmp();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const cmp = (): unknown => {
    const left = unary();
    const t = peek();
    if (t?.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      pos++;
      const right = unary();
      switch (t.v) {
        case '==':
          return looseEqual(left, right);
        case '!=':
          return !looseEqual(left, right);
        case '<':
          return (left as number) < (right as number);
        case '<=':
          return (left as number) <= (right as number);
        case '>':
          return (left as number) > (right as number);
        default:
          return (left as number) >= (right as number);
      }
    }
    return left;
  };
  const unary = (): unknown => {
    if (isOp('!')) {
      pos++;
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): unknown => {
    const t = tokens[pos++];
    if (!t) throw exprError(src, 'unexpected end');
    if (t.t === 'num' || t.t === 'str') return t.v;
    if (t.t === 'op' && t.v === '(') {
      const v = or();
      if (!isOp(')')) throw exprError(src, 'missing ")"');
      pos++;
      return v;
    }
    if (t.t === 'id') {
      if (t.v === 'true') return true;
      if (t.v === 'false') return false;
      if (t.v === 'null') return null;
      let value: unknown = t.v === 'inputs' ? scope.inputs : t.v === 'steps' ? scope.steps : undefined;
      if (value === undefined) throw exprError(src, `unknown name "${t.v}" (use steps.<id>.output or inputs.<name>)`);
      while (isOp('.')) {
        pos++;
        const key = tokens[pos++];
        if (!key || (key.t !== 'id' && key.t !== 'num')) throw exprError(src, 'expected a name after "."');
        value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[String(key.v)] : undefined;
      }
      return value;
    }
    throw exprError(src, `unexpected "${t.v}"`);
  };
  const result = or();
  if (pos !== tokens.length) throw exprError(src, `unexpected "${String(tokens[pos]?.v)}"`);
  return result;
}

/** Resolves every expression in a `with` value (objects and arrays recursively). */
export function resolveValue(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return evaluateExpression(whole[1] ?? '', scope);
    if (!value.includes('${{')) return value;
    return value.replace(ANY, (_, src: string) => {
      const v = evaluateExpression(src, scope);
      return typeof v === 'string' ? v : JSON.stringify(v) ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveValue(v, scope);
    return out;
  }
  return value;
}

/** An `if:` condition: `${{ expr }}` or a bare expression. */
export function evaluateCondition(condition: string, scope: Scope): boolean {
  const whole = WHOLE.exec(condition.trim());
  return truthy(evaluateExpression(whole ? (whole[1] ?? '') : condition, scope));
}

function truthy(v: unknown): boolean {
  return !(v === false || v === null || v === undefined || v === 0 || v === '' || (typeof v === 'number' && Number.isNaN(v)));
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'string') return a === Number(b);
  if (typeof a === 'string' && typeof b === 'boolean') return a === String(b);
  if (typeof a === 'boolean' && typeof b === 'string') return String(a) === b;
  return a === b;
}

function exprError(src: string, why: string): SymphonyError {
  return new SymphonyError('E_EXPRESSION_INVALID', `expression "${src}": ${why}`, { details: { expression: src } });
}
