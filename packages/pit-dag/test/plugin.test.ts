import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DagService } from '../src/types.js';
import { createKernel } from '@symphony/kernel';
import { pitStorePlugins } from '@symphony/pit-artifacts';
import type { RunEvents } from '@symphony/types';
import { dagPlugin, plugin } from '../src/plugin.js';

describe('pit.dag kernel plugin', () => {
  it('finds pit.ledger and pit.artifacts by name, whatever the registration order, and emits on ctx.events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pit-dag-plugin-'));
    const [ledger, artifacts] = pitStorePlugins({ ledger: { path: join(dir, 'ledger') } });
    const kernel = createKernel({ plugins: [dagPlugin, artifacts, ledger] });
    await kernel.start();
    expect(kernel.plugins).toEqual(['pit.ledger', 'pit.artifacts', 'pit.dag']);
    expect(plugin).toBe(dagPlugin);
    const seen: Array<keyof RunEvents> = [];
    for (const name of ['run:start', 'step:ready', 'step:start', 'step:end', 'run:end'] as const) kernel.events.on(name, () => seen.push(name));
    const dag = kernel.service('pit.dag');
    expectTypeOf(dag).toEqualTypeOf<DagService>();
    expectTypeOf(dag.next).returns.toEqualTypeOf<import('../src/types.js').StartedStep[]>();
    const run = await dag.createRun({ name: 'k', steps: [{ id: 'only', uses: 'acme.x/run' }] });
    const [step] = dag.next(run.runId);
    const ref = await dag.completeWithOutput(run.runId, step!.stepId, { answer: 42 });
    expect(kernel.service('pit.artifacts').value(ref!.name, ref!.version)).toEqual({ answer: 42 });
    expect((await dag.whenDone(run.runId)).status).toBe('succeeded');
    expect(seen).toEqual(['run:start', 'step:ready', 'step:start', 'step:end', 'run:end']);
    await kernel.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
