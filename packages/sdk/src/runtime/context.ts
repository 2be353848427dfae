import { isMainThread } from 'node:worker_threads';
import type { TransferListItem } from 'node:worker_threads';
import type { LogLevel, ServerCallContext } from '@symphony/ipc-bus';

/** A log line's fields; the host adds the extension id, method and call id. */
export type LogFields = Record<string, unknown>;

export interface ExtensionLog {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** What every method receives beside its input. */
export interface ExtensionContext {
  /** The extension's id and version, and the method being called. */
  readonly extension: { readonly id: string; readonly version: string };
  readonly method: string;
  /**
   * The workspace: the folder `${workspace}` in the manifest's permissions names, absolute.
   * Resolve a relative path a caller passes against it (`path.resolve(ctx.workspace, input.path)`).
   * An installed extension's process is started in it (by the host and the sandbox); a worker
   * thread reads the host's `SYMPHONY_WORKSPACE`, else the host's working directory.
   */
  readonly workspace: string;
  /** Aborted when the caller cancels or its time limit passes: stop work and return or throw. */
  readonly signal: AbortSignal;
  /** Structured logs that land in the host's log with the extension id. */
  readonly log: ExtensionLog;
  /** A named event to the host (for the Conductor and UI), outside any reply. */
  emit(name: string, payload?: unknown): void;
  /** Progress of this call, `fraction` in [0, 1]; reaches the caller's `onProgress`. */
  progress(fraction: number, message?: string): void;
  /** ArrayBuffers in the result to move instead of copying (worker mode). */
  transfer(list: readonly TransferListItem[]): void;
}

export function createContext(call: ServerCallContext, extension: { id: string; version: string }): ExtensionContext {
  const write = (level: LogLevel) => (message: string, fields?: LogFields) => call.log(level, message, fields);
  return {
    extension,
    method: call.method,
    workspace: workspaceDir(),
    get signal() {
      return call.signal;
    },
    log: { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') },
    emit: (name, payload) => call.emit(name, payload),
    progress: (fraction, message) => call.progress(fraction, message),
    transfer: (list) => call.transfer(list),
  };
}

/**
 * A child process (installed extensions, under the sandbox) is started in the workspace, and its
 * environment is not its own to read (the sandbox refuses undeclared variables); a worker thread
 * shares the host's process, whose `SYMPHONY_WORKSPACE` names the workspace when it is not the cwd.
 */
function workspaceDir(): string {
  if (isMainThread) return process.cwd();
  return process.env.SYMPHONY_WORKSPACE || process.cwd();
}
