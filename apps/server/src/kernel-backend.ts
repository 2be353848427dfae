import { Readable } from 'node:stream';
import type { Kernel } from '@symphony/kernel';
import { SymphonyError, type ArtifactsService } from '@symphony/types';
import type { Conductor } from '@symphony/conductor';
import type { ArtifactSummary, RunSummary, ServerBackend } from './backend.js';
import { withoutStacks } from './http-errors.js';

/** The slices of optional services the server reads, typed structurally (found by name). */
interface StageLike {
  list(): Array<{ id: string; version: string; kind: string; mode: string; state: string; methods: string[]; capabilities: unknown[]; crashes: number }>;
  enable(id: string): void;
  disable?(id: string): void | Promise<void>;
}
interface SandboxLike {
  audit: { read(query?: { extensionId?: string; limit?: number }): unknown[] };
  grants?: { list?(extensionId?: string): unknown[] };
}
interface MetricsLike {
  expose(): Promise<string>;
}

/**
 * The server's backend over a started kernel with the embedded defaults: runs through the
 * Conductor, artifacts from `pit.artifacts`, extensions from `stage`, audit from `sandbox`,
 * metrics from `metrics`. Optional services that are absent answer with empty lists.
 */
export function createKernelBackend(kernel: Kernel, options: { closeKernel?: boolean } = {}): ServerBackend {
  const conductor = kernel.service<Conductor>('conductor');
  const artifacts = kernel.service<ArtifactsService>('pit.artifacts');
  const stage = kernel.tryService<StageLike>('stage');
  const sandbox = kernel.tryService<SandboxLike>('sandbox');
  const metrics = kernel.tryService<MetricsLike>('metrics');
  const dag = kernel.tryService<{ holder?(runId: string): unknown }>('pit.dag');

  const summary = (r: ReturnType<Conductor['runs']>[number]): RunSummary => ({
    runId: r.runId,
    workflow: r.workflow.name,
    status: r.status,
    startedAt: r.createdAt,
    ...(r.endedAt ? { endedAt: r.endedAt } : {}),
    ...(r.startedBy ? { startedBy: r.startedBy } : {}),
    ...(r.source ? { source: r.source } : {}),
    ...(r.rerunOf ? { rerunOf: r.rerunOf, rerunFrom: r.rerunFrom } : {}),
    inputs: r.inputs,
  });
  const artifactSummary = (v: { name: string; version: number; hash: string; size?: number; kind?: string; createdAt?: number }): ArtifactSummary => ({
    name: v.name,
    version: v.version,
    hash: v.hash,
    ...(v.size !== undefined ? { size: v.size } : {}),
    ...(v.kind ? { kind: v.kind } : {}),
    ...(v.createdAt ? { createdAt: v.createdAt } : {}),
  });
  const findRun = (runId: string) => {
    try {
      return conductor.show(runId);
    } catch (err) {
      if ((err as SymphonyError).code === 'E_NOT_FOUND') return undefined;
      throw err;
    }
  };

  /** A started run, answered once it is recorded so that a client's next `GET /runs/:id` finds it. */
  async function started(handle: { runId: string; done: Promise<unknown> }): Promise<{ runId: string }> {
    // The run's outcome is in its record and events; a failed run must not be an unhandled rejection.
    let settled = false;
    handle.done.then(
      () => (settled = true),
      (err) => ((settled = true), kernel.logger.warn({ err, runId: handle.runId }, 'run failed')),
    );
    // The record lands within a commit or two, so poll with a short, growing interval (capped at 2 s).
    for (let waited = 0, step = 1; waited < 2000 && !settled && !findRun(handle.runId); waited += step, step = Math.min(step * 2, 20)) {
      await new Promise((r) => setTimeout(r, step));
    }
    return { runId: handle.runId };
  }

  return {
    kernel,
    submitRun: async (workflow, inputs, origin = {}) => started(conductor.start(workflow as never, { inputs, source: origin.source ?? 'api', ...(origin.startedBy ? { startedBy: origin.startedBy } : {}) })),
    rerunRun: async (runId, { from, startedBy }) => {
      if (!findRun(runId)) throw new SymphonyError('E_NOT_FOUND', `run ${runId} not found`, { details: { runId } });
      return started(conductor.rerun(runId, { ...(from ? { from } : {}), ...(startedBy ? { startedBy } : {}) }));
    },
    listRuns: async ({ limit, offset }) => conductor.runs(limit, offset ?? 0).map(summary),
    async getRun(runId) {
      const found = findRun(runId);
      return found
        ? { ...summary(found.run), steps: withoutStacks(found.steps), error: withoutStacks(found.run.error), resumes: found.run.resumes, policy: found.run.policy, inputs: found.run.inputs, ...(found.run.source ? { source: found.run.source } : {}), ...(found.run.startedBy ? { startedBy: found.run.startedBy } : {}), ...(found.run.rerunOf ? { rerunOf: found.run.rerunOf, rerunFrom: found.run.rerunFrom } : {}), needs: Object.fromEntries(found.run.workflow.steps.map((st) => [st.id, st.needs ?? []])), ...(found.run.status === 'running' && dag?.holder ? { driven: dag.holder(runId) !== undefined } : {}) }
        : undefined;
    },
    async explainRun(runId) {
      if (!findRun(runId)) throw new SymphonyError('E_NOT_FOUND', `run ${runId} not found`, { details: { runId } });
      // The candidates, chosen provider, verdict and reason; the policy's raw features stay out.
      return conductor.explain(runId).map(({ features: _f, probabilities: _p, ...d }) => d);
    },
    async cancelRun(runId, options = {}) {
      const found = findRun(runId);
      if (!found) throw new SymphonyError('E_NOT_FOUND', `run ${runId} not found`, { details: { runId } });
      if (conductor.cancel(runId, { force: options.force === true })) return;
      // Not driven here: say so rather than answer `ok` for a cancel that reaches nobody.
      const status = found.run.status;
      if (status !== 'running') throw new SymphonyError('E_CONFLICT', `run ${runId} already ended (${status}): nothing to cancel`, { details: { runId, status } });
      const holder = dag?.holder?.(runId) as { pid: number; host: string; since: number } | undefined;
      if (holder) {
        throw new SymphonyError('E_RUN_LOCKED', `run ${runId} is driven by another process (pid ${holder.pid} on ${holder.host}, since ${new Date(holder.since).toISOString()}): cancel it there (Ctrl-C on its \`symphony run\`)`, {
          details: { runId, holder: { pid: holder.pid, host: holder.host, since: holder.since } },
        });
      }
      throw new SymphonyError('E_CONFLICT', `run ${runId} was interrupted and nobody drives it: resume it (POST /runs/${runId}/resume), then cancel it`, { details: { runId, status } });
    },
    async resumeRun(runId) {
      if (!findRun(runId)) throw new SymphonyError('E_NOT_FOUND', `run ${runId} not found`, { details: { runId } });
      conductor.resume(runId).catch((err) => kernel.logger.warn({ err, runId }, 'resumed run failed'));
    },
    async listArtifacts({ prefix, limit }) {
      return artifacts
        .names(prefix ?? '', limit)
        .map((name) => artifacts.info(name))
        .filter((v): v is NonNullable<typeof v> => v !== undefined)
        .map(artifactSummary);
    },
    async openArtifact(name, version) {
      const info = artifacts.info(name, version);
      if (!info) return undefined;
      return { artifact: artifactSummary(info), body: Readable.from(artifacts.stream(name, info.version)) };
    },
    async artifactLineage(name, version) {
      // No such version (a step that returned nothing has no artifact): not found, never an empty lineage.
      if (!artifacts.info(name, version)) return undefined;
      return { inputs: artifacts.inputsOf({ name, version }), consumers: artifacts.consumersOf({ name, version }) };
    },
    listExtensions: async () => stage?.list() ?? [],
    async setExtensionEnabled(id, enabled) {
      if (!stage) throw new SymphonyError('E_NOT_FOUND', 'no extension host in this kernel');
      if (!stage.list().some((e) => e.id === id)) throw new SymphonyError('E_NOT_FOUND', `no extension ${id}`, { details: { extensionId: id } });
      if (enabled) stage.enable(id);
      else if (stage.disable) await stage.disable(id);
      else throw new SymphonyError('E_NOT_SUPPORTED', 'this extension host cannot disable extensions');
    },
    audit: async ({ extensionId, limit }) => sandbox?.audit.read({ ...(extensionId ? { extensionId } : {}), limit }) ?? [],
    async policies() {
      return {
        current: conductor.policy.status(),
        versions: artifacts.versions('conductor-policy').map(artifactSummary),
        aliases: artifacts.aliases('conductor-policy'),
      };
    },
    metrics: async () => (metrics ? metrics.expose() : ''),
    ready: async () => kernel.state === 'started',
    close: options.closeKernel ? () => kernel.stop() : undefined,
  };
}
