import { describe, expect, it } from 'vitest';
import { parseWorkflowText, resolveInputs } from '../src/index.js';

describe('workflow files', () => {
  it('reads workflow YAML, reporting every problem with its path, and types --input values', () => {
    const wf = parseWorkflowText('name: t\ninputs: { n: { type: number, default: 2 }, on: { type: boolean } }\nsteps:\n  - { id: a, uses: acme.x/run }\n');
    expect(resolveInputs(wf, { n: '5', on: 'true' })).toEqual({ n: 5, on: true });
    expect(() => resolveInputs(wf, { on: 'maybe' })).toThrow(/inputs.on: must be true or false/);
    // `--input n=` and JSON values that Number() would quietly turn into numbers are refused.
    for (const n of ['', '  ', true, [7], [], {}]) expect(() => resolveInputs(wf, { n }), JSON.stringify(n)).toThrow(/inputs.n: must be a number/);
    expect(resolveInputs(wf, { n: ' 2.5 ' })).toMatchObject({ n: 2.5 });
    // A string input given a JSON object or list was passed on as "[object Object]".
    const text = parseWorkflowText('name: t\ninputs: { s: { type: string } }\nsteps:\n  - { id: a, uses: acme.x/run }\n');
    for (const s of [{ a: 1 }, ['x']]) expect(() => resolveInputs(text, { s })).toThrow(/inputs.s: must be text/);
    expect(resolveInputs(text, { s: 5 })).toEqual({ s: '5' });
    expect(() => parseWorkflowText('name: t\nsteps:\n  - { id: a, uses: nope, needs: [zz] }\n', 'x.yaml')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID', details: expect.objectContaining({ path: 'x.yaml' }) }));
    expect(() => parseWorkflowText('name: [', 'bad.yaml')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID' }));
  });
});
