import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSymphonyError } from '@symphony/types';
import {
  evaluate,
  evaluateCondition,
  expressionReferences,
  isTruthy,
  parseCondition,
  parseExpression,
  parseTemplates,
  resolveTemplate,
  type ExpressionContext,
} from '../src/expressions.js';

/**
 * Cases written from GitHub's "Evaluate expressions in workflows and actions" (literals,
 * operators, the loose-equality coercion table, functions, status functions, object filters),
 * with `steps` and `inputs` standing in for GitHub's contexts.
 */
const context: ExpressionContext = {
  inputs: {
    name: 'Mona',
    count: 3,
    flag: true,
    off: false,
    zero: 0,
    empty: '',
    nan: Number.NaN,
    labels: ['bug', 'help wanted'],
    fruits: [
      { name: 'apple', quantity: 1 },
      { name: 'orange', quantity: 2 },
      { name: 'pear', quantity: 1 },
    ],
    nested: { a: { color: 'red' }, b: { color: 'blue' } },
    json: '{"include":[{"project":"foo","config":"Debug"}],"n":3}',
    version: 'v1.2.3',
  },
  steps: {
    fetch: { output: { items: [10, 20], meta: { ok: true } }, outcome: 'success', conclusion: 'success' },
    'clean-up': { output: 'done', outcome: 'success', conclusion: 'success' },
    flaky: { output: null, outcome: 'failure', conclusion: 'success' },
    skip: { output: null, outcome: 'skipped', conclusion: 'skipped' },
  },
};

const value = (source: string, ctx: ExpressionContext = context): unknown => evaluate(parseExpression(source), ctx);

// [expression, expected value]
const documented: Array<[string, unknown]> = [
  // Literals
  ['true', true],
  ['false', false],
  ['null', null],
  ['711', 711],
  ['-9.2', -9.2],
  ['0xff', 255],
  ['-2.99e-2', -0.0299],
  ["'Mona the Octocat'", 'Mona the Octocat'],
  ["'It''s open source!'", "It's open source!"],
  ["'It''s ''quoted'''", "It's 'quoted'"],
  ["''", ''],
  // Loose equality: mismatched types are coerced to numbers (null → 0, true → 1, false → 0,
  // a string parsed as a JSON number, '' → 0, anything else NaN); strings ignore case.
  ["'abc' == 'ABC'", true],
  ["'Mona' != 'mona'", false],
  ['null == 0', true],
  ['null == false', true],
  ["'1' == 1", true],
  ["'1.0' == 1", true],
  ["'' == 0", true],
  ["'abc' == 0", false],
  ['true == 1', true],
  ['false == 0', true],
  ["true == 'true'", false],
  ["'0x10' == 16", true],
  ['null == null', true],
  ["null == ''", true],
  ['1 == 1.0', true],
  ['inputs.nan == inputs.nan', false],
  ['inputs.nan != inputs.nan', true],
  ['inputs.labels == 0', false],
  ['inputs.nested == inputs.nested', true],
  ["inputs.labels == fromJSON('[\"bug\",\"help wanted\"]')", false],
  // Relational operators: NaN on either side is always false; strings compare ignoring case.
  ["'abc' < 1", false],
  ["'abc' >= 1", false],
  ['inputs.nan < 1', false],
  ['inputs.nan >= inputs.nan', false],
  ["1 < '2'", true],
  ["'b' > 'A'", true],
  ["'a' <= 'A'", true],
  ['null < 1', true],
  ['true > false', true],
  ['inputs.count >= 3', true],
  ['inputs.count > 3', false],
  // Logical operators return an operand, not a boolean.
  ["inputs.name && 'yes'", 'yes'],
  ["inputs.empty || 'fallback'", 'fallback'],
  ["inputs.zero || inputs.off", false],
  ['!inputs.empty', true],
  ['!inputs.labels', false],
  ['!!inputs.name', true],
  ["inputs.flag && 'on' || 'off'", 'on'],
  ["inputs.off && 'on' || 'off'", 'off'],
  ['(1 == 1) && (2 > 1)', true],
  // Property dereference and indexes; a missing property is null.
  ['steps.fetch.output.items[1]', 20],
  ["steps.fetch.output['meta'].ok", true],
  ['steps.clean-up.output', 'done'],
  ['steps.fetch.outcome', 'success'],
  ['steps.flaky.outcome', 'failure'],
  ['steps.flaky.conclusion', 'success'],
  ['steps.skip.conclusion', 'skipped'],
  ['steps.missing.outcome', null],
  ['inputs.missing.deeper', null],
  ['inputs.labels[5]', null],
  ['STEPS.FETCH.OUTCOME', 'success'],
  ["inputs['name']", 'Mona'],
  // Object filters
  ['inputs.fruits.*.name', ['apple', 'orange', 'pear']],
  ['inputs.nested.*.color', ['red', 'blue']],
  ["contains(inputs.fruits.*.name, 'ORANGE')", true],
  ["contains(inputs.fruits.*.name, 'kiwi')", false],
  // contains / startsWith / endsWith: case-insensitive
  ["contains('Hello world', 'llo')", true],
  ["contains('Hello world', 'LLO')", true],
  ["contains(inputs.labels, 'bug')", true],
  ["contains(inputs.labels, 'BUG')", true],
  ["contains(inputs.labels, 'bu')", false],
  ["contains(null, 'a')", false],
  ["startsWith('Hello world', 'He')", true],
  ["startsWith('Hello world', 'he')", true],
  ["startsWith('Hello world', 'world')", false],
  ["endsWith('Hello world', 'LD')", true],
  ["endsWith('Hello world', 'Hello')", false],
  ["startsWith(inputs.version, 'v1.')", true],
  // format
  ["format('Hello {0} {1} {2}', 'Mona', 'the', 'Octocat')", 'Hello Mona the Octocat'],
  ["format('{{Hello {0} {1} {2}!}}', 'Mona', 'the', 'Octocat')", '{Hello Mona the Octocat!}'],
  ["format('{0}-{0}', 'x')", 'x-x'],
  ["format('{0}', inputs.count)", '3'],
  ["format('{0}', true)", 'true'],
  // join
  ["join(inputs.labels, ', ')", 'bug, help wanted'],
  ['join(inputs.labels)', 'bug,help wanted'],
  ["join('abc', '-')", 'abc'],
  ["join(inputs.fruits.*.name, '|')", 'apple|orange|pear'],
  // toJSON / fromJSON
  ['toJSON(inputs.labels)', '[\n  "bug",\n  "help wanted"\n]'],
  ['toJSON(null)', 'null'],
  ['toJSON(1)', '1'],
  ["fromJSON('true')", true],
  ["fromJSON('10')", 10],
  ['fromJSON(inputs.json).include[0].project', 'foo'],
  ['fromJSON(inputs.json).n', 3],
  ["fromJSON('[1,2]')[1]", 2],
  // case (GitHub's newest function) and case-insensitive function names
  ["case(inputs.flag, 'yes', 'no')", 'yes'],
  ["case(inputs.off, 'yes', inputs.count == 3, 'three', 'other')", 'three'],
  ["STARTSWITH('ab', 'A')", true],
  ["ToJson('x')", '"x"'],
];

describe("GitHub's documented expression semantics", () => {
  it(`covers at least 80 cases (${documented.length})`, () => {
    expect(documented.length).toBeGreaterThanOrEqual(80);
  });
  it.each(documented)('%s → %j', (source, expected) => {
    expect(value(source)).toEqual(expected);
  });
});

describe('status functions', () => {
  const at = (status: 'success' | 'failure' | 'cancelled'): ExpressionContext => ({ ...context, job: { status } });
  // [condition, after success, after a failure, after a cancel]
  const table: Array<[string | undefined, boolean, boolean, boolean]> = [
    [undefined, true, false, false], // no `if:` is success()
    ['success()', true, false, false],
    ['failure()', false, true, false],
    ['cancelled()', false, false, true],
    ['always()', true, true, true],
    ['${{ always() }}', true, true, true],
    ['!cancelled()', true, true, false],
    ['success() || failure()', true, true, false],
    ["inputs.name == 'mona'", true, false, false], // no status function: success() && (...)
    ['${{ inputs.flag }}', true, false, false],
    ["failure() && steps.flaky.outcome == 'failure'", false, true, false],
    ["always() && inputs.name == 'nobody'", false, false, false],
    ["job.status == 'failure'", false, false, false], // job.status alone is not a status function
    ["always() && job.status == 'failure'", false, true, false],
    ['SUCCESS()', true, false, false],
  ];
  it.each(table)('if: %s', (condition, onSuccess, onFailure, onCancel) => {
    expect(evaluateCondition(condition, at('success'))).toBe(onSuccess);
    expect(evaluateCondition(condition, at('failure'))).toBe(onFailure);
    expect(evaluateCondition(condition, at('cancelled'))).toBe(onCancel);
  });
  it('status functions take no arguments', () => {
    expect(() => parseCondition('success(1)')).toThrow(/Too many parameters/);
    expect(parseCondition('always()').usesStatus).toBe(true);
    expect(parseCondition("inputs.x == 'always()'").usesStatus).toBe(false);
  });
});

describe('templates', () => {
  it('keeps the type of a whole expression and interpolates GitHub string forms inside text', () => {
    expect(resolveTemplate('${{ steps.fetch.output.items }}', context)).toEqual([10, 20]);
    expect(resolveTemplate({ a: ['n=${{ inputs.count }}', 'plain'], b: 4 }, context)).toEqual({ a: ['n=3', 'plain'], b: 4 });
    expect(resolveTemplate('${{ null }}|${{ true }}|${{ 1.50 }}|${{ inputs.labels }}', context)).toBe('|true|1.5|["bug","help wanted"]');
    expect(resolveTemplate('no expression {{ here }}', context)).toBe('no expression {{ here }}');
    // A `}}` inside a string literal does not close the expression.
    expect(resolveTemplate("${{ format('{{{0}}}', 'x') }}", context)).toBe('{x}');
    expect(resolveTemplate("a ${{ '}}' }} b ${{ inputs.count }}", context)).toBe('a }} b 3');
    expect(() => resolveTemplate('open ${{ inputs.count', context)).toThrow(/no closing/);
  });
  it('finds every reference with its column, including inside functions', () => {
    const refs = expressionReferences(parseExpression("success() && contains(steps.fetch.output.items, 1) || inputs.name == 'x'"));
    expect(refs).toEqual([
      { context: 'steps', name: 'fetch', property: 'output', column: 22 },
      { context: 'inputs', name: 'name', column: 54 },
    ]);
    expect(expressionReferences(parseExpression('steps.*.outcome'))).toEqual([{ context: 'steps', property: 'outcome', column: 0 }]);
  });
  it('rejects unknown names, unknown functions and bad syntax with E_EXPRESSION_INVALID and a column', () => {
    const cases: Array<[string, RegExp, number | undefined]> = [
      ['github.event_name', /Unrecognized named-value/, 0],
      ['steps.a.output == ', /Unexpected end of expression/, undefined],
      ["hashFiles('x')", /Unrecognized function/, 0],
      ["contains('a')", /Too few parameters/, 0],
      ["inputs.x = 'a'", /Unexpected symbol/, 9],
      ['', /empty/, 0],
    ];
    for (const [source, message, column] of cases) {
      let error: unknown;
      try {
        parseExpression(source);
      } catch (err) {
        error = err;
      }
      expect(isSymphonyError(error) && error.code).toBe('E_EXPRESSION_INVALID');
      expect((error as Error).message).toMatch(message);
      if (column !== undefined) expect((error as { details: { position?: number } }).details.position).toBe(column);
    }
    expect(() => parseTemplates({ a: ['ok ${{ inputs.x }}', '${{ nope.x }}'] })).toThrow(/nope/);
  });
  it('a __proto__ key in data pollutes nothing', () => {
    value('fromJSON(\'{"__proto__":{"polluted":1}}\')');
    resolveTemplate('${{ fromJSON(\'{"__proto__":{"polluted":1}}\') }}', context);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('truthiness is GitHub’s', () => {
    for (const v of [false, 0, -0, '', null, undefined, Number.NaN]) expect(isTruthy(v)).toBe(false);
    for (const v of [true, 1, -1, 'false', '0', [], {}]) expect(isTruthy(v)).toBe(true);
  });
});

describe('expression properties (fast-check)', () => {
  it('arbitrary text either parses or fails with E_EXPRESSION_INVALID, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40, unit: fc.constantFrom(...'steps.inputs[]()\'"!=<>&|*,0123456789 abc-_'.split('')) }), (source) => {
        try {
          evaluate(parseExpression(source), context);
        } catch (err) {
          expect(isSymphonyError(err) && err.code).toBe('E_EXPRESSION_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });
  it('the direct read of a plain path (steps.a.b, inputs.x) agrees with GitHub\'s evaluator', () => {
    const key = fc.constantFrom('a', 'B', 'items', 'output', 'x-y', 'n');
    const leaf = fc.oneof(fc.integer(), fc.double({ noNaN: false }), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 4 }), fc.dictionary(key, tree, { maxKeys: 4 }), fc.constantFrom('inputs', 'steps', 'INPUTS'), fc.array(fc.constantFrom('a', 'b', 'items', 'OUTPUT', 'x-y', 'n', 'length'), { minLength: 1, maxLength: 4 }), (inputs, steps, root, keys) => {
        const ctx = { inputs, steps } as unknown as ExpressionContext;
        const source = [root, ...keys].join('.');
        const direct = evaluate(parseExpression(source), ctx);
        const github = evaluate(parseExpression(`(${source})`), ctx); // parenthesised: GitHub's evaluator
        expect(direct).toEqual(github);
        expect(resolveTemplate(`<\${{ ${source} }}>`, ctx)).toBe(resolveTemplate(`<\${{ (${source}) }}>`, ctx));
      }),
      { numRuns: 400 },
    );
  });
  it('string literals round-trip, quotes doubled', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        expect(value(`'${s.replace(/'/g, "''")}'`)).toBe(s);
      }),
      { numRuns: 200 },
    );
  });
});
