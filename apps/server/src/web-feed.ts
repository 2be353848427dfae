import type { Kernel } from '@symphony/kernel';
import type { Conductor } from '@symphony/conductor';
import { findStepReferences, type ArtifactRef, type ArtifactsService, type ArtifactVersion, type Logger } from '@symphony/types';
import type { EventLog } from './event-log.js';
import { withoutStacks } from './http-errors.js';

export const RUN_MONITOR = 'symphony.run-monitor';
export const ARTIFACT_BROWSER = 'symphony.artifact-browser';
const RUN_EVENTS = ['run:start', 'step:ready', 'step:start', 'step:progress', 'step:log', 'step:retry', 'step:end', 'step:fail', 'run:end'] as const;

interface StageCaller {
  call(uses: string, input?: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
}
type EventRecord = { name: string; payload: { runId: string } & Record<string, unknown> };
/** Events per `ingest` call, and jobs waiting at most (a stuck stage must not grow our memory). */
const MAX_BATCH = 500;
const MAX_QUEUED = 10_000;

type Job = { kind: 'events'; events: EventRecord[] } | { kind: 'call'; uses: string; input: unknown };

export interface MotifFeedOptions {
  kernel: Kernel;
  stage: StageCaller;
  events: EventLog;
  logger: Logger;
  /** Past runs shown at start (newest). Default 20. */
  seedRuns?: number;
  /** Artifact names (and their last 20 versions each) shown at start. Default 200. */
  seedArtifacts?: number;
}

/** One artifact version as the artifact browser shows it (lineage from the store's inputs). */
function versionInfo(v: ArtifactVersion) {
  return { version: v.version, hash: v.hash, size: v.size, createdAt: v.createdAt, ...(v.producer ? { producer: v.producer } : {}), parents: v.inputs, quality: v.score };
}

/**
 * Feeds the web UI's motifs with the kernel's real data: every Conductor run event goes to the
 * run monitor (`ingest`, with `describeRun` from the run's workflow so the DAG has all its steps
 * and edges before they run), and the artifact browser gets the store's artifacts at start
 * (`setArtifacts`) and each step output as it is written (`addVersion`). Calls go out one at a
 * time, in order; events that pile up meanwhile travel as one batch.
 */
export function feedMotifs(options: MotifFeedOptions): { idle(): Promise<void>; stop(): void } {
  const conductor = options.kernel.service<Conductor>('conductor');
  const artifacts = options.kernel.service<ArtifactsService>('pit.artifacts');
  const queue: Job[] = [];
  let pumping: Promise<void> | undefined;
  let stopped = false;
  let dropping = false;

  const pump = async () => {
    while (queue.length > 0 && !stopped) {
      const job = queue.shift() as Job;
      let uses: string;
      let input: unknown;
      if (job.kind === 'events') {
        const batch = [...job.events];
        while (queue[0]?.kind === 'events' && batch.length + queue[0].events.length <= MAX_BATCH) batch.push(...(queue.shift() as { events: EventRecord[] }).events);
        uses = `${RUN_MONITOR}/ingest`;
        input = { events: batch };
      } else {
        uses = job.uses;
        input = job.input;
      }
      try {
        await options.stage.call(uses, input, { timeoutMs: 10_000 });
      } catch (err) {
        // The UI misses an update (a reload shows the store); the run itself is unaffected.
        options.logger.warn({ err, uses }, 'web UI feed call failed');
      }
    }
  };
  const enqueue = (job: Job) => {
    if (stopped) return;
    if (queue.length >= MAX_QUEUED) {
      // The UI falls behind rather than the server running out of memory; a restart reseeds it.
      queue.shift();
      if (!dropping) options.logger.warn({ queued: queue.length }, 'web UI feed is behind: dropping its oldest updates');
      dropping = true;
    } else dropping = false;
    queue.push(job);
    pumping ??= pump().finally(() => (pumping = undefined));
  };

  const describe = (runId: string) => {
    try {
      const { run } = conductor.show(runId);
      // Edges as the Conductor schedules them: `needs` plus the steps its inputs and `if` refer to.
      const steps = run.workflow.steps.map((s) => {
        const needs = findStepReferences(s.with, new Set(s.needs ?? []));
        if (s.if) findStepReferences(s.if, needs);
        return { id: s.id, uses: s.uses, needs: [...needs] };
      });
      enqueue({ kind: 'call', uses: `${RUN_MONITOR}/describeRun`, input: { runId, workflow: run.workflow.name, steps } });
    } catch (err) {
      options.logger.debug({ err, runId }, 'no run record to describe');
    }
  };
  const addVersion = (ref: ArtifactRef) => {
    const info = artifacts.info(ref.name, ref.version);
    if (info) enqueue({ kind: 'call', uses: `${ARTIFACT_BROWSER}/addVersion`, input: { name: info.name, ...versionInfo(info) } });
  };

  const listeners = RUN_EVENTS.map((name) => {
    const listener = (payload: EventRecord['payload']) => {
      enqueue({ kind: 'events', events: [{ name, payload: withoutStacks(payload) }] });
      if (name === 'run:start') describe(payload.runId);
      if (name === 'step:end' && payload.output) addVersion(payload.output as unknown as ArtifactRef);
    };
    options.kernel.events.on(name, listener as never);
    return () => options.kernel.events.off(name, listener as never);
  });

  // What happened before this server started: the store's artifacts and recent runs, replayed
  // from the server's event log (or, for runs it never saw, from their step records).
  const seed = () => {
    const names = artifacts.names('', options.seedArtifacts ?? 200);
    const seeded = names.map((name) => ({ name, versions: artifacts.versions(name).slice(-20).map(versionInfo) })).filter((a) => a.versions.length > 0);
    enqueue({ kind: 'call', uses: `${ARTIFACT_BROWSER}/setArtifacts`, input: { artifacts: seeded } });
    for (const run of conductor.runs(options.seedRuns ?? 20).reverse()) {
      describe(run.runId);
      const logged = options.events.since(run.runId, 0);
      if (logged.length > 0) {
        enqueue({ kind: 'events', events: logged.map((e) => ({ name: e.type, payload: e.data as EventRecord['payload'] })) });
        continue;
      }
      const { steps } = conductor.show(run.runId);
      const events: EventRecord[] = [{ name: 'run:start', payload: { runId: run.runId, workflow: run.workflow.name, at: run.createdAt, resumed: false } }];
      for (const s of steps) {
        const base = { runId: run.runId, stepId: s.stepId, attempt: s.attempts, durationMs: s.durationMs, at: s.endedAt };
        if (s.state === 'failed' && s.error) events.push({ name: 'step:fail', payload: { ...base, error: withoutStacks(s.error) } });
        else if (s.state !== 'failed') events.push({ name: 'step:end', payload: { ...base, ...(s.output ? { output: s.output } : {}), ...(s.state === 'skipped' ? { skipped: true } : {}), ...(s.reusedFrom ? { reusedFrom: s.reusedFrom } : {}) } });
      }
      if (run.status !== 'running') events.push({ name: 'run:end', payload: { runId: run.runId, status: run.status, durationMs: (run.endedAt ?? run.updatedAt) - run.createdAt, at: run.endedAt ?? run.updatedAt } });
      enqueue({ kind: 'events', events });
    }
  };
  seed();

  return {
    /** Resolves when every queued update has been delivered. */
    async idle() {
      while (pumping) await pumping;
    },
    stop() {
      stopped = true;
      queue.length = 0;
      for (const off of listeners) off();
    },
  };
}
