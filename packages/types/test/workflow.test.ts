import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSymphonyError, parseUses, validateWorkflow, type SymphonyError } from '../src/index.js';

const valid = {
  name: 'review',
  steps: [
    { id: 'files', uses: 'acme.files/list', with: { glob: 'src/**/*.ts' } },
    { id: 'score', needs: ['files'], uses: 'capability:classify', with: { items: '${{ steps.files.output }}' } },
  ],
};

function problems(input: unknown): { path: string; message: string }[] {
  try {
    validateWorkflow(input);
  } catch (err) {
    expect(isSymphonyError(err)).toBe(true);
    expect((err as SymphonyError).code).toBe('E_WORKFLOW_INVALID');
    return (err as SymphonyError).details.issues as { path: string; message: string }[];
  }
  return [];
}

describe('validateWorkflow', () => {
  it('accepts the design document example and fills defaults', () => {
    const wf = validateWorkflow({ ...valid, steps: [...valid.steps, { id: 'again', uses: 'acme.files/list', retry: { count: 2 } }] });
    expect(wf.steps).toHaveLength(3);
    expect(wf.steps[2]?.retry).toEqual({ count: 2, backoffMs: 100, factor: 2 });
  });

  it('reports every problem with its path at once', () => {
    const issues = problems({
      name: 'x',
      steps: [
        { id: 'a', uses: 'nope' },
        { id: 'a', uses: 'acme.x/run', needs: ['ghost'] },
        { id: 'c', uses: 'acme.x/run', with: { v: '${{ steps.phantom.output }}' } },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(['steps[0].uses']);
    const second = problems({
      name: 'x',
      steps: [
        { id: 'a', uses: 'acme.x/run' },
        { id: 'a', uses: 'acme.x/run', needs: ['ghost'] },
        { id: 'c', uses: 'acme.x/run', with: { v: '${{ steps.phantom.output }}' } },
      ],
    });
    expect(second.map((i) => i.path)).toEqual(['steps[1].id', 'steps[1].needs[0]', 'steps[2].with']);
  });

  it('refuses unknown keys (a typo is an error, not a silently ignored field)', () => {
    const issues = problems({ name: 'x', steps: [{ id: 'a', uses: 'acme.x/run', neds: ['b'] }] });
    expect(issues[0]?.path).toBe('steps[0]');
  });

  it('never throws anything but E_WORKFLOW_INVALID for arbitrary input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          validateWorkflow(value);
        } catch (err) {
          expect(isSymphonyError(err)).toBe(true);
          expect((err as SymphonyError).code).toBe('E_WORKFLOW_INVALID');
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never crashes on mutations of a valid workflow', () => {
    const step = fc.record(
      {
        id: fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.string()),
        uses: fc.oneof(fc.constantFrom('acme.x/run', 'capability:rank', 'x', 'capability:'), fc.string()),
        needs: fc.array(fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.string()), { maxLength: 3 }),
        with: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constantFrom('${{ steps.a.output }}', '${{ steps.zz.output }}'))),
        retry: fc.record({ count: fc.integer({ min: -2, max: 200 }) }),
      },
      { requiredKeys: ['id', 'uses'] },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 6 }), (steps) => {
        try {
          const wf = validateWorkflow({ name: 'm', steps });
          expect(new Set(wf.steps.map((s) => s.id)).size).toBe(wf.steps.length);
        } catch (err) {
          expect((err as SymphonyError).code).toBe('E_WORKFLOW_INVALID');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseUses', () => {
  it('reads extension methods and capabilities', () => {
    expect(parseUses('acme.csv/parse')).toEqual({ kind: 'extension', extensionId: 'acme.csv', method: 'parse' });
    expect(parseUses('capability:classify')).toEqual({ kind: 'capability', capability: 'classify' });
    expect(parseUses('acme/parse')).toBeUndefined();
    expect(parseUses('acme.csv/../../x')).toBeUndefined();
  });
});
