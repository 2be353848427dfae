import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactStore, closeLedger, openLedger } from '@symphony/pit-artifacts';
import { createDagService } from '../src/service.js';
import { crashWorkflow } from './fixtures/workflow.mjs';
import { drive } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const child = join(here, 'fixtures', 'crash-child.mjs');
const TRIALS = 20;

/**
 * Runs the child and SIGKILLs it once it has reported `killAfterCommits` committed steps (never
 * if undefined): a random point of the run, from "just started" to "almost done".
 */
function runChild(args: string[], killAfterCommits?: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const proc = fork(child, args, { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let commits = 0;
    proc.stderr?.on('data', (d) => (stderr += d));
    proc.on('message', (m) => {
      if (m === 'committed') commits++;
      if (killAfterCommits !== undefined && (m === 'started' || m === 'committed') && commits >= killAfterCommits) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe.skipIf(!existsSync(join(here, '..', 'dist', 'index.js')))('crash recovery with a real process killed by SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pit-dag-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** One lane: its own ledger, trials one after another. Lanes run side by side (spawns wait on I/O). */
  async function lane(laneId: number, trials: number): Promise<{ kills: number; interrupted: number }> {
    const ledgerPath = join(dir, `ledger-${laneId}`);
    const workflow = crashWorkflow();
    let kills = 0;
    let interrupted = 0;
    for (let trial = 0; trial < trials; trial++) {
      const runId = `lane${laneId}-trial${trial}`;
      const log = join(dir, `${runId}.log`);
      writeFileSync(log, '');
      // One or two processes killed at random points...
      // (at most 35 of the 50 steps in, so the kill lands before the run can finish)
      if ((await runChild([ledgerPath, runId, log], Math.floor(Math.random() * 36))) === 'killed') kills++;
      if (trial % 4 === 3 && (await runChild([ledgerPath, runId, log], Math.floor(Math.random() * 6))) === 'killed') kills++;
      // ...then a fresh process (this one) resumes the run and drives it to the end.
      const ledger = openLedger({ path: ledgerPath });
      const artifacts = new ArtifactStore(ledger);
      const dag = createDagService({ ledger, artifacts });
      if (dag.state(runId).status === 'running') {
        await dag.resume(runId);
        await drive(dag, runId, (s) => {
          const nonce = randomUUID();
          appendFileSync(log, `exec ${s.stepId} ${nonce}\n`);
          return { nonce, inputs: dag.resolveInputs(runId, s.stepId) };
        });
      }

      const executions = new Map<string, string[]>();
      const acknowledged = new Set<string>();
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        const [kind, stepId, nonce] = line.split(' ');
        if (kind === 'error') throw new Error(`child reported: ${line}`);
        // An acknowledged step (its completion durable, step:end emitted) never runs again.
        if (kind === 'exec') expect(acknowledged.has(stepId as string), `${stepId} ran again after it was acknowledged`).toBe(false);
        if (kind === 'exec') executions.set(stepId as string, [...(executions.get(stepId as string) ?? []), nonce as string]);
        if (kind === 'committed') acknowledged.add(stepId as string);
      }
      const state = dag.state(runId);
      expect(state.status).toBe('succeeded');
      const recorded = new Map<string, { nonce: string; inputs: Record<string, string> }>();
      for (const step of state.steps) {
        expect(step.state).toBe('done');
        const output = artifacts.get(step.output!.name, step.output!.version); // verifies the sha-256
        expect(output?.ref.hash).toBe(step.output!.hash);
        const value = JSON.parse(Buffer.from(output!.data).toString()) as { nonce: string; inputs: Record<string, string> };
        recorded.set(step.stepId, value);
        // The recorded output is the LAST execution's: nothing ran again after it was committed.
        const runs = executions.get(step.stepId) ?? [];
        expect(runs.at(-1)).toBe(value.nonce);
        interrupted += runs.length - 1;
      }
      // Exactly-once for outputs: every step consumed the recorded outputs of its upstream steps.
      for (const step of workflow.steps) {
        for (const up of step.needs) expect(recorded.get(step.id)?.inputs[up]).toBe(recorded.get(up)?.nonce);
      }
      dag.close();
      await closeLedger(ledger);
    }
    return { kills, interrupted };
  }

  it(`every resumed run finishes, no finished step runs again, every output verifies (${TRIALS} trials)`, async () => {
    const lanes = await Promise.all([0, 1, 2, 3].map((id) => lane(id, TRIALS / 4)));
    const kills = lanes.reduce((n, l) => n + l.kills, 0);
    expect(kills).toBeGreaterThanOrEqual(TRIALS);
    // The kills landed mid-run: some steps were executed, interrupted and executed again.
    expect(lanes.reduce((n, l) => n + l.interrupted, 0)).toBeGreaterThan(0);
  }, 120_000);
});
