import { afterEach, describe, expect, it } from 'vitest';
import { Checkpoints } from '../src/checkpoint.js';
import { dropOwner } from '../src/lease.js';
import { createDagService } from '../src/service.js';
import { drive, harness, type Harness } from './helpers.js';

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

describe('pit.dag: one driver per run (lease + fencing)', () => {
  it('refuses a second driver while the first lives, takes over a dead one, and fences the stale driver out', async () => {
    const x = harness();
    open.push(x);
    const wf = { name: 'leased', steps: [{ id: 'a', uses: 'acme.x/run' }, { id: 'b', uses: 'acme.x/run', needs: ['a'] }] };
    const run = await x.dag.createRun(wf);
    const [a] = x.dag.next(run.runId);
    expect(a?.stepId).toBe('a');
    const firstDone = x.dag.whenDone(run.runId);

    // A second driver over the same ledger (another service, as another process would be).
    const second = createDagService({ ledger: x.ledger, artifacts: x.artifacts });
    await expect(second.resume(run.runId)).rejects.toMatchObject({
      code: 'E_RUN_LOCKED',
      details: { runId: run.runId, pid: process.pid, host: expect.any(String), since: expect.any(Number) },
    });
    expect(second.holder(run.runId)).toMatchObject({ pid: process.pid, self: false });

    // The first driver dies (its token is gone): its lease is taken over.
    const checkpoints = new Checkpoints(x.ledger);
    const stale = checkpoints.lease(run.runId)!;
    dropOwner(stale.owner);
    await second.resume(run.runId);
    expect(checkpoints.lease(run.runId)?.epoch).toBe(stale.epoch + 1);

    // The stale driver finishes its step late: its write is refused and its run halts.
    await expect(x.dag.completeWithOutput(run.runId, 'a', 'late')).rejects.toMatchObject({ code: 'E_RUN_LOCKED' });
    await expect(firstDone).rejects.toMatchObject({ code: 'E_RUN_LOCKED' });

    // The new driver re-runs the unacknowledged step and ends the run; the late output never landed.
    const final = await drive(second, run.runId, (s) => `by-second-${s.stepId}`);
    expect(final.status).toBe('succeeded');
    expect(x.artifacts.value('leased/a')).toBe('by-second-a');
    expect(checkpoints.lease(run.runId)).toBeUndefined();
    second.close();
  });
});

describe('pit.dag: a refused last batch (its completions and the run end together)', () => {
  it('halts the run, leaves it running in the ledger, acknowledges nothing, and the next driver finishes it', async () => {
    const x = harness();
    open.push(x);
    const wf = { name: 'last-batch', steps: [{ id: 'a', uses: 'acme.x/run' }, { id: 'b', uses: 'acme.x/run', needs: ['a'] }] };
    const run = await x.dag.createRun(wf);
    const done = x.dag.whenDone(run.runId);
    const checkpoints = new Checkpoints(x.ledger);
    const mine = checkpoints.lease(run.runId)!;
    // Both completions (and so the run's end) go into one batch; a takeover lands just before it.
    const acks = [];
    for (let ready = x.dag.next(run.runId); ready.length > 0; ready = x.dag.next(run.runId)) {
      for (const s of ready) acks.push(x.dag.completeWithOutput(run.runId, s.stepId, s.stepId));
    }
    const takeover = x.ledger.transaction(() => checkpoints.writeLease(run.runId, { ...mine, owner: 'someone-else', epoch: mine.epoch + 1 }));
    for (const ack of acks) await expect(ack).rejects.toMatchObject({ code: 'E_RUN_LOCKED' });
    await expect(done).rejects.toMatchObject({ code: 'E_RUN_LOCKED' });
    await takeover;
    expect(x.events.filter((e) => e.name === 'step:end' || e.name === 'run:end')).toEqual([]);
    expect(checkpoints.run(run.runId)?.status).toBe('running');
    expect(x.artifacts.names('last-batch/')).toEqual([]);
    // The holder "dies"; a new driver re-runs both unacknowledged steps and ends the run.
    const second = createDagService({ ledger: x.ledger, artifacts: x.artifacts });
    await second.resume(run.runId);
    const final = await drive(second, run.runId, (s) => `again-${s.stepId}`);
    expect(final.status).toBe('succeeded');
    expect(x.artifacts.value('last-batch/b')).toBe('again-b');
    second.close();
  });
});
