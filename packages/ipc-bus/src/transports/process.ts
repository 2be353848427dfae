import type { ChildProcess } from 'node:child_process';
import { EndpointBase, type BusEndpoint } from '../endpoint.js';

type IpcTarget = ChildProcess | NodeJS.Process;

/**
 * A child process's IPC channel (host side: the `ChildProcess`; inside the child: `process`) as a
 * bus endpoint. Start the child with `serialization: 'advanced'` so Maps, typed arrays, errors and
 * cycles survive; transfer lists are ignored (the channel always copies).
 */
export function processEndpoint(target: IpcTarget): BusEndpoint {
  return new ProcessEndpoint(target);
}

class ProcessEndpoint extends EndpointBase implements BusEndpoint {
  readonly transfers = false;

  constructor(private readonly target: IpcTarget) {
    super();
    if (typeof target.send !== 'function') {
      throw new Error('processEndpoint needs a process with an IPC channel (fork, or spawn with stdio "ipc")');
    }
    target.on('message', (data: unknown) => this.dispatch(data));
    target.on('disconnect', () => this.markClosed({ reason: 'closed' }));
    // A send on a channel that just closed emits 'error'; unheard, it would crash the host.
    (target as ChildProcess).on('error', (error: Error) => this.markClosed({ reason: 'error', error }));
    if (target !== process) {
      (target as ChildProcess).on('exit', (exitCode, signal) => this.markClosed({ reason: 'exit', exitCode, signal }));
    }
  }

  postMessage(message: unknown): void {
    if (this.closed || !this.target.connected) return;
    // The second argument of send() is a socket handle, never comlink's transfer list.
    this.target.send!(message as Parameters<NonNullable<IpcTarget['send']>>[0]);
  }

  close(): void {
    this.markClosed({ reason: 'closed' });
  }
}
