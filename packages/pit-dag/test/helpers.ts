import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterEach } from 'vitest';
import { ArtifactStore, closeLedger, openLedger, type LmdbLedger } from '@symphony/pit-artifacts';
import type { RunEvents } from '@symphony/types';
import { createDagService } from '../src/service.js';
import type { DagService, StartedStep } from '../src/types.js';

export interface Harness {
  dir: string;
  ledger: LmdbLedger;
  artifacts: ArtifactStore;
  dag: DagService & { close(): void };
  events: Array<{ name: keyof RunEvents; payload: Record<string, unknown> }>;
  emitter: EventEmitter;
  /** Opens a second service over the same ledger directory (as a restarted process would). */
  reopen(): Promise<Harness>;
  close(): Promise<void>;
}

/**
 * Harnesses closed after each test of the calling file: `h()` opens one, `keep(x)` hands over one
 * opened otherwise (`reopen()`), so it is closed too.
 */
export function harnessesPerTest(): { h: () => Harness; keep: (x: Harness) => Harness } {
  let open: Harness[] = [];
  afterEach(async () => {
    for (const x of open) await x.close();
    open = [];
  });
  const keep = (x: Harness): Harness => (open.push(x), x);
  return { h: () => keep(harness()), keep };
}

export function harness(dir = mkdtempSync(join(tmpdir(), 'pit-dag-')), owned = true, noSync = false): Harness {
  // noSync only where a test runs many commits and does not kill anything.
  const ledger = openLedger({ path: join(dir, 'ledger'), noSync });
  const artifacts = new ArtifactStore(ledger);
  const events: Harness['events'] = [];
  const emitter = new EventEmitter();
  const sink = {
    emit(name: keyof RunEvents, payload: Record<string, unknown>) {
      events.push({ name, payload });
      return emitter.emit(name, payload);
    },
  };
  const dag = createDagService({ ledger, artifacts, events: sink as never });
  const h: Harness = {
    dir,
    ledger,
    artifacts,
    dag,
    events,
    emitter,
    async reopen() {
      dag.close();
      await closeLedger(ledger);
      return harness(dir, owned, noSync);
    },
    async close() {
      dag.close();
      await closeLedger(ledger);
      if (owned) rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/**
 * A minimal external scheduler: starts what `next` offers, runs `exec`, records the result,
 * and repeats until the run ends. `exec` returns the step's output value.
 */
export async function drive(
  dag: DagService,
  runId: string,
  exec: (s: StartedStep) => Promise<unknown> | unknown,
  options: { withOutput?: boolean } = {},
): Promise<ReturnType<DagService['state']>> {
  const done = dag.whenDone(runId);
  let ended = false;
  void done.then(() => (ended = true));
  const inFlight = new Set<Promise<void>>();
  const pump = (): void => {
    if (ended) return;
    let started: StartedStep[];
    try {
      started = dag.next(runId);
    } catch {
      return; // the run ended meanwhile
    }
    for (const s of started) {
      const p = (async () => {
        try {
          const out = await exec(s);
          if (options.withOutput === false) await dag.complete(runId, s.stepId);
          else await dag.completeWithOutput(runId, s.stepId, out ?? null);
        } catch (err) {
          await dag.fail(runId, s.stepId, err).catch(() => undefined);
        }
      })().finally(() => {
        inFlight.delete(p);
        pump();
      });
      inFlight.add(p);
    }
  };
  const timer = setInterval(pump, 5);
  pump();
  const final = await done;
  clearInterval(timer);
  await Promise.all(inFlight);
  return final;
}
