import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSymphonyError } from '@symphony/types';
import {
  evaluate,
  evaluateCondition,
  isTruthy,
  parseExpression,
  resolveTemplate,
  type Expr,
  type ExpressionContext,
} from '../src/expressions.js';

const context: ExpressionContext = {
  inputs: { name: 'ada', count: 3, flag: true },
  steps: {
    fetch: { output: { items: [10, 20], meta: { ok: true } }, outcome: 'success' },
    'clean-up': { output: 'done', outcome: 'success' },
    skip: { output: null, outcome: 'skipped' },
  },
};

describe('expressions', () => {
  it('reads paths, indexes and literals', () => {
    expect(evaluate(parseExpression('steps.fetch.output.items[1]'), context)).toBe(20);
    expect(evaluate(parseExpression("steps.fetch.output['meta'].ok"), context)).toBe(true);
    expect(evaluate(parseExpression('steps.clean-up.output'), context)).toBe('done');
    expect(evaluate(parseExpression('inputs.missing.deeper'), context)).toBe(null);
    expect(evaluate(parseExpression("'it''s'"), context)).toBe("it's");
    expect(evaluate(parseExpression('-1.5e2'), context)).toBe(-150);
  });

  it('compares, combines and negates', () => {
    expect(evaluateCondition("${{ inputs.name == 'ada' && inputs.count >= 3 }}", context)).toBe(true);
    expect(evaluateCondition("inputs.name != 'ada' || !inputs.flag", context)).toBe(false);
    expect(evaluateCondition("steps.skip.outcome == 'skipped'", context)).toBe(true);
    expect(evaluateCondition('inputs.count < 10 && (inputs.flag || false)', context)).toBe(true);
    expect(evaluateCondition("inputs.count == '3'", context)).toBe(false); // no coercion
    expect(evaluateCondition("inputs.count < 'z'", context)).toBe(false); // no mixed ordering
    expect(evaluate(parseExpression("inputs.nothing || 'default'"), context)).toBe('default');
  });

  it('resolves with: values, keeping types for whole expressions and interpolating text', () => {
    const resolved = resolveTemplate(
      { items: '${{ steps.fetch.output.items }}', label: 'n=${{ inputs.count }}, m=${{ steps.fetch.output.meta }}', nested: ['${{ inputs.flag }}'] },
      context,
    );
    expect(resolved).toEqual({ items: [10, 20], label: 'n=3, m={"ok":true}', nested: [true] });
  });

  it('never reaches prototypes or globals', () => {
    expect(evaluate(parseExpression('steps.fetch.output.constructor'), context)).toBe(null);
    expect(evaluate(parseExpression("steps.fetch.output['__proto__']"), context)).toBe(null);
    expect(() => parseExpression('process.exit')).toThrow(/unknown name "process"/);
    expect(() => parseExpression('inputs.a(1)')).toThrow(/E_EXPRESSION_INVALID|unexpected/);
  });

  it('reports syntax errors with a code and a position', () => {
    for (const bad of ['inputs.', "'open", 'a == b == c', '(inputs.x', 'inputs.x ==', '1 +', '']) {
      try {
        parseExpression(bad);
        throw new Error(`parsed ${bad}`);
      } catch (err) {
        expect(isSymphonyError(err) && err.code).toBe('E_EXPRESSION_INVALID');
      }
    }
    expect(() => parseExpression('!'.repeat(100) + 'true')).toThrow(/nested more than/);
  });
});

// ---- properties ---------------------------------------------------------------------------

const literal = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.string({ maxLength: 6 }),
  fc.boolean(),
  fc.constant(null),
);
const path = fc.constantFrom('inputs.name', 'inputs.count', 'inputs.flag', 'steps.fetch.output.items[0]', 'steps.skip.outcome', 'inputs.none');
const exprArb: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literal.map(render),
    path,
    tie('e').map((e) => `!(${e})`),
    fc.tuple(tie('e'), fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '&&', '||'), tie('e')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
  ),
})).e;

function render(value: string | number | boolean | null): string {
  return typeof value === 'string' ? `'${value.replace(/'/g, "''")}'` : String(value);
}

/** A reference evaluator over the AST built independently with JS semantics. */
function reference(expr: Expr): unknown {
  switch (expr.type) {
    case 'literal':
      return expr.value;
    case 'path':
      return evaluate(expr, context);
    case 'not':
      return !isTruthy(reference(expr.operand));
    case 'binary': {
      const a = reference(expr.left);
      const b = () => reference(expr.right);
      switch (expr.op) {
        case '&&':
          return isTruthy(a) ? b() : a;
        case '||':
          return isTruthy(a) ? a : b();
        case '==':
          return JSON.stringify(a) === JSON.stringify(b());
        case '!=':
          return JSON.stringify(a) !== JSON.stringify(b());
        default: {
          const r = b();
          const comparable = (typeof a === 'number' && typeof r === 'number') || (typeof a === 'string' && typeof r === 'string');
          if (!comparable) return false;
          return expr.op === '<' ? (a as number) < (r as number) : expr.op === '<=' ? (a as number) <= (r as number) : expr.op === '>' ? (a as number) > (r as number) : (a as number) >= (r as number);
        }
      }
    }
  }
}

describe('expression properties (fast-check)', () => {
  it('literals round-trip through the parser', () => {
    fc.assert(
      fc.property(literal, (v) => {
        expect(evaluate(parseExpression(render(v)), context)).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('random well-formed expressions parse and agree with a reference evaluation', () => {
    fc.assert(
      fc.property(exprArb, (source) => {
        const ast = parseExpression(source);
        expect(evaluate(ast, context)).toEqual(reference(ast));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary text either parses or fails with E_EXPRESSION_INVALID, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: fc.constantFrom(...'steps.inputs[]()\'"!=<>&|0123456789 abc-_'.split('')) }), (source) => {
        try {
          evaluate(parseExpression(source), context);
        } catch (err) {
          expect(isSymphonyError(err) && err.code).toBe('E_EXPRESSION_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });
});
