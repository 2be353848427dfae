import { describe, expect, it } from 'vitest';
import { parseWorkflowText, resolveInputs } from '../src/index.js';

describe('workflow files', () => {
  it('reads workflow YAML, reporting every problem with its path, and types --input values', () => {
    const wf = parseWorkflowText('name: t\ninputs: { n: { type: number, default: 2 }, on: { type: boolean } }\nsteps:\n  - { id: a, uses: acme.x/run }\n');
    expect(resolveInputs(wf, { n: '5', on: 'true' })).toEqual({ n: 5, on: true });
    expect(() => resolveInputs(wf, { on: 'maybe' })).toThrow(/inputs.on: must be true or false/);
    expect(() => parseWorkflowText('name: t\nsteps:\n  - { id: a, uses: nope, needs: [zz] }\n', 'x.yaml')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID', details: expect.objectContaining({ path: 'x.yaml' }) }));
    expect(() => parseWorkflowText('name: [', 'bad.yaml')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID' }));
  });
});
