import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluateCondition, evaluateExpression, resolveValue, parseWorkflowText, resolveInputs, type Scope } from '../src/index.js';

const scope: Scope = { inputs: { n: 3, name: 'acme', on: true }, steps: { a: { output: { y: 6, list: [1, 2], nested: { k: 'v' } } }, 'b-2': { output: null } } };

type Node = { src: string; value: unknown };
const num = fc.integer({ min: -50, max: 50 }).map((n): Node => ({ src: String(n), value: n }));
const str = fc.stringMatching(/^[a-z ]{0,6}$/).map((s): Node => ({ src: `'${s}'`, value: s }));
const bool = fc.boolean().map((b): Node => ({ src: String(b), value: b }));
const path = fc.constantFrom<Node>({ src: 'inputs.n', value: 3 }, { src: 'steps.a.output.y', value: 6 }, { src: 'steps.a.output.nested.k', value: 'v' }, { src: 'inputs.missing', value: undefined });
const truthy = (v: unknown) => !(v === false || v === null || v === undefined || v === 0 || v === '');

// Expression trees with their expected value, printed with parentheses everywhere.
const expr: fc.Arbitrary<Node> = fc.letrec((tie) => ({
  leaf: fc.oneof(num, str, bool, path),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf') as fc.Arbitrary<Node>,
    fc.tuple(tie('node') as fc.Arbitrary<Node>).map(([x]): Node => ({ src: `!(${x.src})`, value: !truthy(x.value) })),
    fc.tuple(tie('node') as fc.Arbitrary<Node>, tie('node') as fc.Arbitrary<Node>).map(([x, y]): Node => ({ src: `(${x.src}) && (${y.src})`, value: truthy(x.value) ? y.value : x.value })),
    fc.tuple(tie('node') as fc.Arbitrary<Node>, tie('node') as fc.Arbitrary<Node>).map(([x, y]): Node => ({ src: `(${x.src}) || (${y.src})`, value: truthy(x.value) ? x.value : y.value })),
    fc.tuple(num, num).map(([x, y]): Node => ({ src: `${x.src} < ${y.src}`, value: (x.value as number) < (y.value as number) })),
    fc.tuple(num, num).map(([x, y]): Node => ({ src: `${x.src} == ${y.src}`, value: x.value === y.value })),
  ),
})).node;

describe('expressions', () => {
  it('evaluates generated expressions to the value their structure gives (property)', () => {
    fc.assert(fc.property(expr, (e) => {
      expect(evaluateExpression(e.src, scope)).toEqual(e.value);
    }), { numRuns: 300 });
  });

  it('never evaluates anything but the grammar: junk is E_EXPRESSION_INVALID with the expression in details (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        try {
          evaluateExpression(s, scope);
        } catch (err) {
          expect(err).toMatchObject({ code: 'E_EXPRESSION_INVALID', details: { expression: s } });
        }
      }),
      { numRuns: 300 },
    );
    expect(() => evaluateExpression('process.exit(1)', scope)).toThrow(/unknown name "process"/);
  });

  it('keeps types for whole expressions, interpolates inside strings, walks objects and arrays', () => {
    expect(resolveValue({ a: '${{ steps.a.output.list }}', b: ['n=${{ inputs.n }}', 'plain'], c: 4 }, scope)).toEqual({ a: [1, 2], b: ['n=3', 'plain'], c: 4 });
    expect(resolveValue('${{ steps.b-2.output }}', scope)).toBeNull();
    expect(evaluateCondition('${{ inputs.on && steps.a.output.y >= 6 }}', scope)).toBe(true);
    expect(evaluateCondition("inputs.name != 'acme'", scope)).toBe(false);
    fc.assert(fc.property(fc.string().filter((s) => !s.includes('${{')), (s) => {
      expect(resolveValue(s, scope)).toBe(s);
    }));
  });

  it('reads workflow YAML, reporting every problem with its path, and types --input values', () => {
    const wf = parseWorkflowText('name: t\ninputs: { n: { type: number, default: 2 }, on: { type: boolean } }\nsteps:\n  - { id: a, uses: acme.x/run }\n');
    expect(resolveInputs(wf, { n: '5', on: 'true' })).toEqual({ n: 5, on: true });
    expect(() => resolveInputs(wf, { on: 'maybe' })).toThrow(/inputs.on: must be true or false/);
    expect(() => parseWorkflowText('name: t\nsteps:\n  - { id: a, uses: nope, needs: [zz] }\n', 'x.yaml')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID', details: expect.objectContaining({ path: 'x.yaml' }) }));
    expect(() => parseWorkflowText('name: [', 'bad.yaml')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID' }));
  });
});
