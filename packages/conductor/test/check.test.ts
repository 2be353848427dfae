import { afterEach, describe, expect, it } from 'vitest';
import { validateWorkflowSource } from '../src/index.js';
import { qualityOfValue } from '../src/step-check.js';
import { removeDir, startKernel, type TestKernel } from './helpers.js';

let open: TestKernel[] = [];
afterEach(async () => {
  for (const k of open) {
    await k.close().catch(() => {});
    removeDir(k.dir);
  }
  open = [];
});
const start = async (options: Parameters<typeof startKernel>[0] = {}) => {
  const k = await startKernel(options);
  open.push(k);
  return k;
};

const CHEAP = 'test.guess-cheap/answer';
const RIGHT = 'test.guess-right/answer';

/** Two providers of `answer`: the cheap one is wrong, the dearer one right; neither reports a quality. */
function providers(k: TestKernel): void {
  k.conductor.registerStep(CHEAP, () => ({ answer: 41 }), { capabilities: ['answer'], cost: 0.1 });
  k.conductor.registerStep(RIGHT, () => ({ answer: 42 }), { capabilities: ['answer'], cost: 0.3 });
}

const workflow = (check?: string, explore?: boolean) => ({
  name: 'quiz',
  inputs: { want: { type: 'number' as const, default: 42 } },
  steps: [{ id: 'q', uses: 'capability:answer', ...(check ? { check } : {}), ...(explore === undefined ? {} : { explore }) }],
});

async function choices(k: TestKernel, wf: ReturnType<typeof workflow>, runs: number) {
  const out: { chosen: string; quality?: number; runId: string }[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await k.conductor.run(wf);
    expect(result.status).toBe('succeeded');
    out.push({ chosen: result.steps[0]!.servedBy!, runId: result.runId, ...(result.steps[0]!.quality !== undefined ? { quality: result.steps[0]!.quality } : {}) });
  }
  return out;
}

describe('a step\'s check: is the quality the Conductor learns from', () => {
  it('scores each call by the check, records it with the decision and the artifact, and the Conductor moves to the right provider', async () => {
    const k = await start({ fallback: 'ev-greedy' });
    providers(k);
    const runs = await choices(k, workflow('${{ steps.q.output.answer == inputs.want }}'), 8);
    for (const r of runs) expect(r.quality).toBe(r.chosen === RIGHT ? 1 : 0);
    expect(runs.slice(-4).map((r) => r.chosen)).toEqual(Array(4).fill(RIGHT));
    const cheap = runs.find((r) => r.chosen === CHEAP);
    expect(cheap, 'the policy (or exploration) tried the cheap provider at least once').toBeDefined();
    const [decision] = k.conductor.explain(cheap!.runId);
    expect(decision!.outcome).toMatchObject({ ok: true, quality: 0, checked: true });
    expect(decision!.outcome!.reward).toBeLessThan(0);
    // The history the next decision reads has the check's verdict, not the default quality 1.
    expect(k.conductor.history.get(CHEAP).ewmaQuality).toBe(0);
    expect(k.conductor.history.get(RIGHT).ewmaQuality).toBe(1);
    // The stored output carries its quality and the check that gave it.
    const last = k.conductor.show(runs.at(-1)!.runId).steps[0]!;
    const artifacts = k.kernel.service<{ info(name: string, version: number): { attributes?: Record<string, unknown> } }>('pit.artifacts');
    const ref = (await k.conductor.run(workflow('${{ steps.q.output.answer == inputs.want }}'))).steps[0]!.output!;
    expect(artifacts.info(ref.name, ref.version).attributes).toEqual({ quality: 1, check: '${{ steps.q.output.answer == inputs.want }}' });
    expect(last.stepId).toBe('q');
  });

  it('without a check both answers count as quality 1, so the same policy stays on the cheaper provider', async () => {
    const k = await start({ fallback: 'ev-greedy' });
    providers(k);
    const runs = await choices(k, workflow(), 8);
    expect(runs.every((r) => r.quality === undefined)).toBe(true);
    expect(runs.slice(-4).map((r) => r.chosen)).toEqual(Array(4).fill(CHEAP));
    expect(k.conductor.explain(runs[0]!.runId)[0]!.outcome).toMatchObject({ ok: true, quality: 1 });
    expect(k.conductor.explain(runs[0]!.runId)[0]!.outcome!.checked).toBeUndefined();
  });

  it('a check wins over the quality an extension reports; numbers are clamped; a check that cannot be evaluated scores 0 without failing the step', async () => {
    const k = await start();
    const grade = (input: unknown) => ({ quality: 1, score: (input as { score: number }).score, text: '{not json' });
    k.conductor.registerStep('test.self/grade', grade);
    k.conductor.registerStep('test.broken/grade', grade);
    const run = async (check: string, score: number, uses = 'test.self/grade') => (await k.conductor.run({ name: 'self', steps: [{ id: 's', uses, with: { score }, check }] })).steps[0]!;
    expect((await run('steps.s.output.score', 0.25)).quality).toBe(0.25);
    expect((await run('steps.s.output.score', 7)).quality).toBe(1);
    expect((await run('steps.s.output.score', -3)).quality).toBe(0);
    expect((await run('steps.s.output.missing', 1)).quality).toBe(0);
    const broken = await run("${{ fromJSON(steps.s.output.text) }}", 1, 'test.broken/grade');
    expect(broken).toMatchObject({ state: 'done', quality: 0 });
    expect(k.conductor.history.get('test.broken/grade')).toMatchObject({ n: 1, ewmaQuality: 0 });
  });

  it('a workflow given as an object is held to the same rules before a run exists', async () => {
    const k = await start();
    providers(k);
    const bad = (check: string) => () => k.conductor.start({ name: 'quiz', inputs: { want: { type: 'number', default: 42 } }, steps: [{ id: 'a', uses: 'test.guess-cheap/answer' }, { id: 'q', uses: 'capability:answer', needs: ['a'], check }] });
    expect(bad('inputs.want == steps.a.output.answer')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID', message: expect.stringContaining('reads only steps.q.output and inputs') }));
    expect(bad('always()')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID' }));
    expect(bad('steps.q.output ==')).toThrow(expect.objectContaining({ code: 'E_WORKFLOW_INVALID' }));
    expect(k.conductor.runs()).toEqual([]);
  });

  it('maps values to qualities as documented', () => {
    expect([true, false, null, '', 'yes', 0, 0.4, 2, -1, Number.NaN, [], {}].map(qualityOfValue)).toEqual([1, 0, 0, 0, 1, 0, 0.4, 1, 0, 0, 1, 1]);
  });

  it('a step with explore: false in the workflow keeps the policy\'s choice in a real run; without it the other provider is explored', async () => {
    const k = await start({ fallback: 'cheapest' });
    providers(k);
    const check = '${{ steps.q.output.answer == inputs.want }}';
    const off = await choices(k, workflow(check, false), 5);
    expect(off.map((r) => r.chosen)).toEqual(Array(5).fill(CHEAP));
    const reason = k.conductor.explain(off[0]!.runId)[0]!.reason!;
    expect(reason).toMatchObject({ explored: false, exploreOff: true });
    expect(reason.why).toContain('exploration is off');
    const on = await choices(k, workflow(check), 3);
    expect(on.map((r) => r.chosen)).toContain(RIGHT);
    expect(on.some((r) => k.conductor.explain(r.runId)[0]!.reason!.explored)).toBe(true);
  });
});

describe('check: validation, before a run exists', () => {
  const diagnose = (step: string, extra = '') =>
    validateWorkflowSource(['name: v', 'inputs:', '  want: { type: number, default: 1 }', 'steps:', '  - { id: a, uses: test.x/y }', `  - { id: b, uses: test.x/y${extra}, check: "${step}" }`, ''].join('\n'), { file: 'v.yaml' }).diagnostics;

  it('accepts its own output and the inputs, bare or in ${{ }}', () => {
    expect(diagnose('steps.b.output.n == inputs.want')).toEqual([]);
    expect(diagnose('${{ steps.B.output.ok && inputs.want > 0 }}')).toEqual([]);
  });

  it('refuses other steps, status functions, job, undeclared inputs, other properties and bad syntax, each with its position', () => {
    expect(diagnose('steps.a.output.ok')[0]).toMatchObject({ line: 6, column: 38, stepId: 'b', path: 'steps[1].check', message: expect.stringContaining('reads only its own step (steps.b) and inputs, not step "a"') });
    expect(diagnose('success()')[0]!.message).toContain('runs only after the step succeeded');
    expect(diagnose('job.status == \'success\'')[0]!.message).toContain('cannot read job');
    expect(diagnose('inputs.wnat')[0]).toMatchObject({ message: expect.stringContaining('inputs.wnat'), suggestion: 'want' });
    expect(diagnose('steps.b.outcome')[0]).toMatchObject({ message: expect.stringContaining('not "outcome"'), suggestion: 'output' });
    expect(diagnose('steps.b.output ==')[0]!.message).toMatch(/is invalid/);
    expect(diagnose('  ')[0]!.message).toContain('check: is empty');
  });

  it('a misspelt key gets a did-you-mean', () => {
    const d = validateWorkflowSource('name: v\nsteps:\n  - { id: a, uses: test.x/y, chek: "true" }\n').diagnostics;
    expect(d[0]).toMatchObject({ suggestion: 'check' });
  });
});
