/**
 * The module a host starts in a worker thread or a child process: it imports the extension's
 * `main` (named by `workerData.module`, `SYMPHONY_LAUNCH_DATA`'s `module`, or the first argument),
 * takes its default export (a `define*` result) and serves it over the bus.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { SymphonyError } from '@symphony/types';
import { isExtensionDefinition } from './define.js';
import { serveExtension } from './serve.js';

interface LaunchData {
  module?: string;
  maxPayloadBytes?: number;
  /** A pre-warmed worker: boot now, learn which extension to load from the first message. */
  deferred?: boolean;
}

/** The first message a deferred worker receives (see `@symphony/ipc-bus` `createWarmLauncher`). */
async function deferredLaunchData(): Promise<LaunchData> {
  if (!parentPort) throw new SymphonyError('E_EXTENSION_START', 'a deferred start needs a worker thread');
  const message = await new Promise<unknown>((resolve) => parentPort!.once('message', resolve));
  return ((message as { load?: LaunchData }).load ?? {}) as LaunchData;
}

function launchData(): LaunchData {
  if (workerData && typeof workerData === 'object') return workerData as LaunchData;
  const raw = process.env.SYMPHONY_LAUNCH_DATA;
  if (raw) return JSON.parse(raw) as LaunchData;
  return { module: process.argv[2] };
}

async function main(): Promise<void> {
  const initial = launchData();
  const data = initial.deferred ? await deferredLaunchData() : initial;
  if (!data.module) throw new SymphonyError('E_EXTENSION_START', 'no extension module to load (workerData.module, SYMPHONY_LAUNCH_DATA or argv[2])');
  const href = data.module.startsWith('file:') ? data.module : pathToFileURL(data.module).href;
  const mod = (await import(href)) as Record<string, unknown>;
  const candidates = [mod.default, (mod.default as Record<string, unknown> | undefined)?.default, mod.extension];
  const definition = candidates.find(isExtensionDefinition);
  if (!definition) {
    throw new SymphonyError('E_EXTENSION_START', `${data.module} exports no extension definition (export default defineOperator(...))`, {
      details: { module: data.module, exports: Object.keys(mod) },
    });
  }
  await serveExtension(definition, data.maxPayloadBytes ? { maxPayloadBytes: data.maxPayloadBytes } : {});
}

main().catch((error: unknown) => {
  // Reaches the host's log through stderr; the exit tells the process manager it never got ready.
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
