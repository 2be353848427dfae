import { Worker } from 'node:worker_threads';
import { SymphonyError } from '@symphony/types';

/** A real worker thread serving a fixture extension, with the request/reply protocol of serve-in-worker.mjs. */
export function startWorkerExtension(file: string, onEvent: (event: string, payload: unknown) => void = () => {}) {
  const worker = new Worker(new URL(`./fixtures/${file}`, import.meta.url));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  worker.on('message', (msg: { id?: number; ok?: boolean; value?: unknown; error?: never; event?: string; payload?: unknown }) => {
    if (msg.event) { onEvent(msg.event, msg.payload); return; }
    const p = pending.get(msg.id!);
    pending.delete(msg.id!);
    if (msg.ok) p?.resolve(msg.value); else p?.reject(SymphonyError.fromJSON(msg.error!));
  });
  return {
    call(method: string, input: unknown): Promise<unknown> {
      const id = nextId++;
      return new Promise((resolve, reject) => { pending.set(id, { resolve, reject }); worker.postMessage({ id, method, input }); });
    },
    terminate: () => worker.terminate(),
  };
}
