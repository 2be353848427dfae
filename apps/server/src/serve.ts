import type { Kernel } from '@symphony/kernel';
import type { Conductor } from '@symphony/conductor';
import { createServer, type ServerOptions, type SymphonyServer } from './app.js';
import { createKernelBackend } from './kernel-backend.js';

export interface ServeOptions extends Omit<ServerOptions, 'backend'> {
  /** A started kernel with the Conductor and the Pit (the CLI's embedded defaults). */
  kernel: Kernel;
  /** Resume runs a previous server left running (it was killed or restarted). Default true. */
  resumeInterrupted?: boolean;
  /** How long a graceful shutdown waits for running steps before stopping the kernel. Default 10 s. */
  shutdownGraceMs?: number;
}

/**
 * Puts a kernel behind the API: resumes runs a crash interrupted (they are checkpointed, so no
 * finished step runs again), listens, and on SIGTERM/SIGINT shuts down gracefully: stop
 * accepting, close sockets with a reason, give running steps a grace period, stop the kernel
 * (unfinished runs stay `running` in the store and resume at the next start).
 */
export async function serve(options: ServeOptions): Promise<SymphonyServer & { url: string; resumed: string[] }> {
  const server = await createServer({ ...options, backend: createKernelBackend(options.kernel, { closeKernel: true }) });
  const conductor = options.kernel.service<Conductor>('conductor');
  const resumed: string[] = [];
  if (options.resumeInterrupted !== false) {
    // Only runs nobody drives: a run whose lease a live process holds (a `symphony run` still
    // going, another server) is left to it. The lease itself is the guard (resume takes it in one
    // transaction or fails E_RUN_LOCKED); this check only keeps the report honest.
    const dag = options.kernel.tryService<{ holder(runId: string): unknown }>('pit.dag');
    for (const run of conductor.runs(1000)) {
      if (run.status !== 'running' || dag?.holder(run.runId)) continue;
      resumed.push(run.runId);
      conductor.resume(run.runId).catch((err: { code?: string }) =>
        err?.code === 'E_RUN_LOCKED'
          ? options.kernel.logger.info({ err, runId: run.runId }, 'another process drives this run: not resumed')
          : options.kernel.logger.warn({ err, runId: run.runId }, 'resumed run failed'),
      );
    }
  }
  const url = await server.listen();
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    stopping ??= (async () => {
      options.kernel.logger.info({ signal }, 'shutting down');
      const grace = options.shutdownGraceMs ?? 10_000;
      const deadline = Date.now() + grace;
      await server.app.close();
      server.app.websocketServer?.clients.forEach((c) => c.close(1001, 'server restarting: reconnect and resume'));
      await server.web?.close();
      // Short runs may finish within the grace period; the rest are checkpointed and resume later.
      while (Date.now() < deadline && conductor.runs(1000).some((r) => r.status === 'running')) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await options.kernel.stop();
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal).then(() => process.exit(0));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    ...server,
    url,
    resumed,
    async close(reason) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await server.close(reason);
    },
  };
}
