import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SymphonyError } from '@symphony/types';
import type { BusEndpoint } from './endpoint.js';
import type { Socket } from 'node:net';
import { pipeEndpoint } from './transports/pipe.js';
import { listenSocket } from './transports/socket.js';
import { workerEndpoint } from './transports/worker.js';

/**
 * `worker`: a worker thread (trusted, fastest). `process`: a child process over its IPC channel
 * (untrusted; the sandbox wraps its command line). `socket`: a child process that connects back
 * over a Unix domain socket named in `SYMPHONY_IPC_SOCKET` (msgpack frames).
 */
export type IsolationMode = 'worker' | 'process' | 'socket';

/** Everything needed to start one extension instance. */
export interface LaunchSpec {
  /** The extension id, for logs and errors. */
  id: string;
  mode: IsolationMode;
  /** Path (or file URL) of the module to run: usually the SDK's runtime entry. */
  entry: string;
  /** argv after the entry. */
  args?: string[];
  /** The whole environment of a child process (nothing is inherited unless you pass it). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Extra Node flags, e.g. `--enable-source-maps`. */
  execArgv?: string[];
  /** Worker mode: `workerData`. Process modes: passed as JSON in `SYMPHONY_LAUNCH_DATA`. */
  data?: unknown;
  /** Heap limit: worker `resourceLimits.maxOldGenerationSizeMb` or `--max-old-space-size`. */
  memoryLimitMb?: number;
}

/** The command line of a `process`/`socket` mode child, before it is spawned. */
export interface CommandLine {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

/**
 * Rewrites the command line of a child before it is spawned: the sandbox's hook (wrap it in
 * bubblewrap, add `--experimental-permission --allow-fs-read=...`, filter the environment).
 * It must keep file descriptor 3 (the IPC channel) inherited in `process` mode.
 */
export type SpawnWrapper = (command: CommandLine, spec: LaunchSpec) => CommandLine | Promise<CommandLine>;

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  error?: Error;
}

/** One running instance, whatever it runs in. */
export interface Launched {
  endpoint: BusEndpoint;
  pid: number;
  /** Settles when the worker or process has ended. */
  exited: Promise<ExitInfo>;
  /** `SIGTERM` asks politely (a worker: a shutdown message); `SIGKILL` ends it at once. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  stdout: Readable | null;
  stderr: Readable | null;
}

/** Starts an instance; replace it whole to run extensions somewhere else entirely. */
export type Launcher = (spec: LaunchSpec) => Promise<Launched>;

export interface DefaultLauncherOptions {
  spawnWrapper?: SpawnWrapper;
}

export function defaultCommandLine(spec: LaunchSpec): CommandLine {
  const execArgv = [...(spec.execArgv ?? [])];
  if (spec.memoryLimitMb) execArgv.push(`--max-old-space-size=${spec.memoryLimitMb}`);
  const env: Record<string, string | undefined> = { ...(spec.env ?? {}) };
  if (spec.data !== undefined) env.SYMPHONY_LAUNCH_DATA = JSON.stringify(spec.data);
  return { command: process.execPath, args: [...execArgv, toPath(spec.entry), ...(spec.args ?? [])], env, cwd: spec.cwd ?? process.cwd() };
}

/** Worker threads in-process; child processes through `spawnWrapper` (identity by default). */
export function createLauncher(options: DefaultLauncherOptions = {}): Launcher {
  return async (spec) => {
    if (spec.mode === 'worker') return launchWorker(spec);
    const base = defaultCommandLine(spec);
    const command = options.spawnWrapper ? await options.spawnWrapper(base, spec) : base;
    return spec.mode === 'process' ? launchProcess(command, frameCap(spec)) : launchSocket(command);
  };
}

function launchWorker(spec: LaunchSpec): Launched {
  const worker = new Worker(toPath(spec.entry), {
    argv: spec.args ?? [],
    execArgv: spec.execArgv ?? [],
    workerData: spec.data,
    ...(spec.env ? { env: spec.env } : {}),
    stdout: true,
    stderr: true,
    ...(spec.memoryLimitMb ? { resourceLimits: { maxOldGenerationSizeMb: spec.memoryLimitMb } } : {}),
  });
  const endpoint = workerEndpoint(worker);
  let error: Error | undefined;
  worker.on('error', (err) => (error = err));
  const exited = new Promise<ExitInfo>((resolve) => {
    worker.once('exit', (exitCode) => resolve({ exitCode, signal: null, ...(error ? { error } : {}) }));
  });
  return {
    endpoint,
    pid: process.pid,
    exited,
    kill(signal) {
      if (signal === 'SIGTERM') endpoint.postMessage([[11]]);
      else void worker.terminate();
    },
    stdout: worker.stdout,
    stderr: worker.stderr,
  };
}

function trackExit(child: ChildProcess): Promise<ExitInfo> {
  return new Promise<ExitInfo>((resolve) => {
    child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    child.once('error', (error) => {
      if (child.pid === undefined) resolve({ exitCode: null, signal: null, error });
    });
  });
}

function childKill(child: ChildProcess) {
  return (signal: 'SIGTERM' | 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
}

/**
 * `process` mode: the channel is a socket pair on fd 3 with length-prefixed structured-clone
 * frames (`pipeEndpoint`), so the host refuses an oversized frame from its header instead of
 * buffering it as Node's IPC would. The child runs in its own process group (`detached`), so a
 * signal it sends to "its group" never reaches the host; it still dies with the host (its channel closes).
 */
function launchProcess(command: CommandLine, maxFrameBytes?: number): Launched {
  const child = spawn(command.command, command.args, {
    cwd: command.cwd,
    env: { ...command.env, SYMPHONY_IPC_FD: '3' } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = trackExit(child);
  const channel = child.stdio[3] as Socket;
  const endpoint = pipeEndpoint(channel, { child, ...(maxFrameBytes ? { maxFrameBytes } : {}) });
  return { endpoint, pid: child.pid ?? -1, exited, kill: childKill(child), stdout: child.stdout, stderr: child.stderr };
}

/** A frame may carry one payload at the cap plus the envelope: twice the cap, plus a MiB. */
function frameCap(spec: LaunchSpec): number | undefined {
  const cap = (spec.data as { maxPayloadBytes?: unknown } | undefined)?.maxPayloadBytes;
  return typeof cap === 'number' && cap > 0 ? 2 * cap + 1024 * 1024 : undefined;
}

async function launchSocket(command: CommandLine): Promise<Launched> {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-ipc-'));
  const path = join(dir, 'bus.sock');
  let accept!: (endpoint: BusEndpoint) => void;
  const connected = new Promise<BusEndpoint>((resolve) => (accept = resolve));
  const server = await listenSocket(path, (endpoint) => accept(endpoint));
  const child = spawn(command.command, command.args, {
    cwd: command.cwd,
    env: { ...command.env, SYMPHONY_IPC_SOCKET: path } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = trackExit(child).finally(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // One connection per instance: no one else may attach to this socket after the extension.
  const endpoint = await Promise.race([
    connected,
    exited.then((exit) => {
      throw new SymphonyError('E_EXTENSION_START', `the extension exited (code ${exit.exitCode}) before connecting to its socket`, {
        details: { socket: path, ...exit },
      });
    }),
  ]);
  server.close();
  // When the process ends, the connection ends with it, whatever state the socket is in.
  void exited.then(() => endpoint.close());
  return { endpoint, pid: child.pid ?? -1, exited, kill: childKill(child), stdout: child.stdout, stderr: child.stderr };
}

function toPath(entry: string): string {
  return entry.startsWith('file:') ? fileURLToPath(entry) : entry;
}

/**
 * For an extension started separately (by hand, under a debugger, in another container): the
 * host listens on `path` and each start waits for the extension to connect there (it calls the
 * SDK's `serveExtension`, which reads `SYMPHONY_IPC_SOCKET`). The host cannot signal a process it
 * did not start: `SIGTERM` asks it to shut down, `SIGKILL` drops the connection.
 */
export function externalSocketLauncher(path: string): Launcher {
  return async () => {
    rmSync(path, { force: true });
    let accept!: (endpoint: BusEndpoint) => void;
    const connected = new Promise<BusEndpoint>((resolve) => (accept = resolve));
    const server = await listenSocket(path, (endpoint) => accept(endpoint));
    const endpoint = await connected.finally(() => server.close());
    const exited = new Promise<ExitInfo>((resolve) => endpoint.onClose((info) => resolve({ exitCode: info.exitCode ?? null, signal: info.signal ?? null })));
    return {
      endpoint,
      pid: -1,
      exited,
      kill(signal) {
        if (signal === 'SIGTERM') endpoint.postMessage([[11]]);
        else endpoint.close();
      },
      stdout: null,
      stderr: null,
    };
  };
}
