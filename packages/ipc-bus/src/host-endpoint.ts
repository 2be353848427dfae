import { isMainThread, parentPort } from 'node:worker_threads';
import { SymphonyError } from '@symphony/types';
import type { BusEndpoint } from './endpoint.js';
import { processEndpoint } from './transports/process.js';
import { inheritedPipeEndpoint } from './transports/pipe.js';
import { connectSocket } from './transports/socket.js';
import { workerEndpoint } from './transports/worker.js';

/**
 * The extension side's connection to whoever started it: the parent port in a worker, the socket
 * pair on `SYMPHONY_IPC_FD` in a `process`-mode child, Node's IPC channel in a forked child, or the socket named by `SYMPHONY_IPC_SOCKET` for an extension
 * started separately.
 */
export async function hostEndpoint(): Promise<BusEndpoint> {
  if (!isMainThread && parentPort) return workerEndpoint(parentPort);
  const fd = process.env.SYMPHONY_IPC_FD;
  if (fd && /^\d+$/.test(fd)) {
    delete process.env.SYMPHONY_IPC_FD;
    return inheritedPipeEndpoint(Number(fd));
  }
  const socket = process.env.SYMPHONY_IPC_SOCKET;
  if (socket) return connectSocket(socket);
  if (typeof process.send === 'function') return processEndpoint(process);
  throw new SymphonyError('E_NO_HOST', 'this extension was not started by a Symphony host (no parent port, IPC channel or SYMPHONY_IPC_SOCKET)');
}
