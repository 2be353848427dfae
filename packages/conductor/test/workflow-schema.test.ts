import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RetryPolicySchema, StepSchema, WorkflowInputSchema, WorkflowSchema } from '@symphony/types';
import { validateWorkflowSource } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const require = createRequire(import.meta.url);
const Ajv = require('ajv') as new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
const schema = JSON.parse(readFileSync(join(here, '../workflow.schema.json'), 'utf8')) as Record<string, any>;
const validate = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true }).compile(schema);

const examples = [join(root, 'examples/hotspots/workflow.yaml')];

describe('the JSON Schema for workflow files', () => {
  it('is the file docs/ links to, and the package exports it', () => {
    expect(readFileSync(join(root, 'docs/workflow.schema.json'), 'utf8')).toBe(readFileSync(join(here, '../workflow.schema.json'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(here, '../package.json'), 'utf8')) as { exports: Record<string, string>; files: string[] };
    expect(pkg.exports['./workflow.schema.json']).toBe('./workflow.schema.json');
    expect(pkg.files).toContain('workflow.schema.json');
  });

  it.each(examples)('accepts the example %s, as the validator does', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(validateWorkflowSource(text).diagnostics).toEqual([]);
  });

  it("accepts the reference's own example (docs/workflows.md)", () => {
    const doc = readFileSync(join(root, 'docs/workflows.md'), 'utf8');
    const text = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    expect(text).toContain('steps:');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(validateWorkflowSource(text).diagnostics).toEqual([]);
  });

  it('names exactly the keys the validator knows, at every level', () => {
    const keys = (o: { properties: object }) => Object.keys(o.properties).sort();
    expect(keys(schema as { properties: object })).toEqual(Object.keys(WorkflowSchema.shape).sort());
    expect(keys(schema.definitions.step)).toEqual(Object.keys(StepSchema.shape).sort());
    expect(keys(schema.definitions.step.properties.retry)).toEqual(Object.keys(RetryPolicySchema.shape).sort());
    expect(keys(schema.definitions.input)).toEqual(Object.keys(WorkflowInputSchema.shape).sort());
  });

  const step = { id: 'a', uses: 'symphony.files/read' };
  const cases: Array<[string, unknown, boolean]> = [
    ['a minimal workflow', { name: 'x', steps: [step] }, true],
    ['if: as a YAML boolean', { name: 'x', steps: [{ ...step, if: false }] }, true],
    ['a capability step with retry and inputs', { name: 'x', inputs: { n: { type: 'number', default: 2 } }, steps: [{ id: 'r', uses: 'capability:text.summarize', retry: { count: 2, on: ['E_TIMEOUT'] } }] }, true],
    ['no steps', { name: 'x', steps: [] }, false],
    ['an unknown key', { name: 'x', steps: [{ ...step, neds: [] }] }, false],
    ['a step without uses', { name: 'x', steps: [{ id: 'a' }] }, false],
    ['uses without a method', { name: 'x', steps: [{ id: 'a', uses: 'symphony.files' }] }, false],
    ['a bad step id', { name: 'x', steps: [{ id: '1a', uses: 'symphony.files/read' }] }, false],
    ['a retry count as text', { name: 'x', steps: [{ ...step, retry: { count: 'two' } }] }, false],
    ['an input type outside the enum', { name: 'x', inputs: { n: { type: 'integer' } }, steps: [step] }, false],
    ['a zero timeout', { name: 'x', steps: [{ ...step, timeoutMs: 0 }] }, false],
    ['a check over the step\'s output', { name: 'x', steps: [{ ...step, check: '${{ steps.a.output.ok }}' }] }, true],
    ['a bare check expression', { name: 'x', inputs: { want: { type: 'number' } }, steps: [{ ...step, check: "steps.a.output.n == inputs.want" }] }, true],
    ['a check that is not a string', { name: 'x', steps: [{ ...step, check: 1 }] }, false],
    ['an empty check', { name: 'x', steps: [{ ...step, check: '' }] }, false],
    // A name is printed on terminals: an escape or a newline would forge `runs list` lines.
    ['an ANSI escape in the name', { name: '\u001b[31mRED', steps: [step] }, false],
    ['a newline in a step name', { name: 'x', steps: [{ ...step, name: 'a\nb' }] }, false],
    ['unicode in names', { name: 'revue · 検査 ✓', steps: [{ ...step, name: 'é' }] }, true],
  ];
  it.each(cases)('%s: schema and validator agree (%#)', (_, doc, ok) => {
    expect(validate(doc)).toBe(ok);
    expect(validateWorkflowSource(JSON.stringify(doc, null, 2)).diagnostics.length === 0).toBe(ok);
  });
});
