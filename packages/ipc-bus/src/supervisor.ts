import type { Readable } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { SymphonyError, silentLogger, type Logger } from '@symphony/types';
import { BusClient, DEFAULT_LIMITS, type CallLimits, type CallOptions } from './client.js';
import type { CloseInfo } from './endpoint.js';
import { createLauncher, type Launched, type Launcher, type LaunchSpec, type SpawnWrapper } from './launcher.js';

export interface RestartPolicy {
  /** Crashes within `windowMs` that disable the extension (VS Code: 3 in 5 minutes). */
  maxCrashes: number;
  windowMs: number;
  /** First restart delay; doubles with each recent crash, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface SupervisorOptions {
  spec: LaunchSpec;
  /** Replaces how instances start (default: worker threads and spawned children). */
  launcher?: Launcher;
  /** Rewrites a child's command line (the sandbox hook); ignored when `launcher` is given. */
  spawnWrapper?: SpawnWrapper;
  limits?: Partial<CallLimits>;
  restart?: Partial<RestartPolicy>;
  logger?: Logger;
  /** Time from spawn to the extension's ready message. */
  startTimeoutMs?: number;
  /** Health ping period while running (0 turns periodic pings off) and its answer limit. */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /**
   * After a call times out or is aborted, its handler must let go (settle) within this many ms; an
   * instance whose handler does not (a CPU loop, a promise deaf to `ctx.signal`) is terminated at
   * once (a worker by `worker.terminate()`, a process by SIGKILL) and the next call starts a fresh
   * one. That is no crash: it is not counted against the crash budget. Default 500 ms.
   */
  cancelGraceMs?: number;
  /** Graceful stop: wait this long for in-flight calls, then SIGTERM, then SIGKILL after `graceMs`. */
  drainMs?: number;
  graceMs?: number;
  /** How many recent calls to keep for the log when the extension is disabled. */
  recentCalls?: number;
}

export type SupervisorState = 'idle' | 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface RecentCall {
  method: string;
  at: number;
  outcome?: 'ok' | string;
}

export interface SupervisorEvents {
  state: [state: SupervisorState];
  ready: [info: { pid: number; methods: string[]; startMs: number }];
  crash: [info: { exit: CloseInfo; crashes: number; recentCalls: RecentCall[] }];
  failed: [info: { crashes: number; recentCalls: RecentCall[] }];
  /** A call cut off (cancelled, timed out) whose handler had not let go after `cancelGraceMs`: its instance was terminated. */
  stuck: [info: { method: string; graceMs: number }];
  event: [name: string, payload: unknown];
  progress: [info: { method: string; fraction: number; message?: string }];
  output: [info: { stream: 'stdout' | 'stderr'; line: string }];
}

/** How long the handler of a cancelled or timed-out call may take to let go before its instance is terminated. */
export const DEFAULT_CANCEL_GRACE_MS = 500;

const DEFAULT_RESTART: RestartPolicy = { maxCrashes: 3, windowMs: 5 * 60_000, backoffMs: 100, maxBackoffMs: 10_000 };

/**
 * The process manager for one extension: starts it on first use, pings it, restarts it with
 * exponential backoff when it dies, disables it past its crash budget (calls then fail fast with
 * `E_EXTENSION_FAILED` until `enable()`), and stops it gracefully.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly id: string;
  readonly limits: CallLimits;
  private readonly policy: RestartPolicy;
  private readonly launcher: Launcher;
  private readonly logger: Logger;
  private currentState: SupervisorState = 'idle';
  private instance: { launched: Launched; client: BusClient } | undefined;
  private starting: Promise<BusClient> | undefined;
  private crashTimes: number[] = [];
  private readonly recent: RecentCall[] = [];
  private pingTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarting: Promise<BusClient> | undefined;
  private cancelRestart: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** Cut-off calls whose handler has not let go yet: new calls wait for the verdict on each. */
  private readonly verdicts = new Set<Promise<void>>();
  private readonly stderrTail: string[] = [];
  /** `onLog` listeners of the calls running now: stdout/stderr lines go to them. */
  private readonly logListeners = new Set<NonNullable<CallOptions['onLog']>>();
  /** Calls that just finished, for output lines that arrive after their result (pipes lag the bus). */
  private endedListeners: { onLog: NonNullable<CallOptions['onLog']>; until: number }[] = [];

  constructor(private readonly options: SupervisorOptions) {
    super();
    this.id = options.spec.id;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.policy = { ...DEFAULT_RESTART, ...options.restart };
    this.launcher = options.launcher ?? createLauncher(options.spawnWrapper ? { spawnWrapper: options.spawnWrapper } : {});
    this.logger = (options.logger ?? silentLogger).child({ extensionId: this.id });
  }

  get state(): SupervisorState {
    return this.currentState;
  }

  get pid(): number | undefined {
    return this.instance?.launched.pid;
  }

  /** The running instance's own heap and RSS, asked over the bus (a ping); `undefined` if not running. */
  async memory(timeoutMs = this.options.pingTimeoutMs ?? 2_000): Promise<{ heapUsedBytes: number; rssBytes: number } | undefined> {
    const instance = this.instance;
    if (!instance || this.currentState !== 'running') return undefined;
    return instance.client.memory(timeoutMs);
  }

  get inFlight(): number {
    return this.instance?.client.inFlight ?? 0;
  }

  get recentCalls(): RecentCall[] {
    return [...this.recent];
  }

  get crashCount(): number {
    return this.crashTimes.length;
  }

  /** Starts (or joins a start in progress); rejects with `E_EXTENSION_START` if it never gets ready. */
  async start(): Promise<void> {
    await this.client();
  }

  async call(method: string, input?: unknown, options: CallOptions = {}): Promise<unknown> {
    // An instance still holding a call cut off just now is replaced before this one is sent to it.
    while (this.verdicts.size > 0) await Promise.all(this.verdicts);
    // A start or restart in progress is bounded by startTimeoutMs (and the caller's signal); the
    // call's own time limit starts once the extension is up, so a cold start is not a timeout.
    const client = this.instance && this.currentState === 'running' ? this.instance.client : await this.waitFor(this.client(), method, options.signal);
    const entry = this.remember(method);
    const onLog = options.onLog;
    if (onLog) this.logListeners.add(onLog);
    try {
      const result = await client.call(method, input, options);
      entry.outcome = 'ok';
      return result;
    } catch (error) {
      entry.outcome = (error as SymphonyError).code ?? 'error';
      throw error;
    } finally {
      if (onLog) {
        this.logListeners.delete(onLog);
        const now = performance.now();
        this.endedListeners = this.endedListeners.filter((e) => e.until >= now);
        if (this.endedListeners.length < 64) this.endedListeners.push({ onLog, until: now + OUTPUT_GRACE_MS });
      }
    }
  }

  /** Hands an output line to the call(s) it was written during (or that ended just before it arrived). */
  private attribute(stream: 'stdout' | 'stderr', line: string): void {
    const now = performance.now();
    this.endedListeners = this.endedListeners.filter((e) => e.until >= now && !this.logListeners.has(e.onLog));
    const targets = new Set(this.logListeners);
    for (const e of this.endedListeners) targets.add(e.onLog);
    if (targets.size === 0) return;
    const ambiguous = targets.size > 1;
    for (const onLog of targets) {
      try {
        onLog(ambiguous ? { stream, line, ambiguous } : { stream, line });
      } catch {
        // A listener's failure never breaks the supervisor.
      }
    }
  }

  /** Re-enables a failed extension: its crash history is forgotten and the next call starts it. */
  enable(): void {
    if (this.currentState !== 'failed') return;
    this.crashTimes = [];
    this.setState('idle');
  }

  /** Drains in-flight calls (up to `drainMs`), then SIGTERM, then SIGKILL after `graceMs`. */
  async stop(): Promise<void> {
    if (this.currentState === 'stopped') return;
    if (this.currentState === 'stopping') return this.stopping;
    // Refuse new calls from this moment on; a start in progress finishes first.
    this.setState('stopping');
    clearTimeout(this.restartTimer);
    this.cancelRestart?.(); // calls waiting for the restart settle now, never hang
    this.restarting = undefined;
    this.stopping = this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    await this.starting?.catch(() => {});
    this.stopPinging();
    const instance = this.instance;
    if (instance) {
      await withDeadline(instance.client.drained(), this.options.drainMs ?? 5_000);
      instance.launched.kill('SIGTERM');
      const graceful = await withDeadline(instance.launched.exited.then(() => true), this.options.graceMs ?? 2_000);
      if (!graceful) instance.launched.kill('SIGKILL');
      await instance.launched.exited;
      instance.client.close();
    }
    this.instance = undefined;
    this.setState('stopped');
  }

  /** The connected client, starting or waiting for a restart as needed. */
  private client(): Promise<BusClient> {
    switch (this.currentState) {
      case 'running':
        return Promise.resolve(this.instance!.client);
      case 'failed':
        return Promise.reject(this.failedError());
      case 'stopping':
      case 'stopped':
        return Promise.reject(new SymphonyError('E_EXTENSION_STOPPED', `extension ${this.id} is ${this.currentState}`, { details: { extensionId: this.id } }));
      case 'restarting':
        // Calls during the backoff wait for the scheduled restart: a crash loop stays slowed down.
        return this.restarting ?? this.launch();
      default:
        return this.launch();
    }
  }

  private launch(): Promise<BusClient> {
    this.starting ??= this.doLaunch().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doLaunch(): Promise<BusClient> {
    this.setState('starting');
    this.stderrTail.length = 0;
    const t0 = performance.now();
    let launched: Launched | undefined;
    try {
      const startTimeoutMs = this.options.startTimeoutMs ?? 10_000;
      const launching = this.launcher(this.options.spec);
      launched = await withDeadline(launching, startTimeoutMs);
      if (!launched) {
        // A launch that completes after we gave up is killed, never left running unseen.
        void launching.then((late) => late.kill('SIGKILL'), () => {});
        throw new SymphonyError('E_TIMEOUT', `the instance did not start within ${startTimeoutMs} ms`);
      }
      this.captureOutput(launched.stdout, 'stdout');
      this.captureOutput(launched.stderr, 'stderr');
      const client = new BusClient(launched.endpoint, { ...this.limits, peer: this.id });
      const ready = await withDeadline(client.ready, startTimeoutMs);
      if (!ready) throw new SymphonyError('E_TIMEOUT', `no ready message within ${startTimeoutMs} ms`);
      this.wire(client, launched);
      this.instance = { launched, client };
      if (this.currentState === 'stopping') return client; // stop() takes it down after draining
      this.setState('running');
      this.startPinging();
      this.emit('ready', { pid: ready.pid, methods: ready.methods, startMs: performance.now() - t0 });
      return client;
    } catch (cause) {
      launched?.kill('SIGKILL');
      const exit = launched ? await withDeadline(launched.exited, 1_000) : undefined;
      // Let the last stderr lines arrive: they usually say why (a bad import, a syntax error).
      await new Promise((resolve) => setTimeout(resolve, 20));
      const stderr = this.stderrTail.join('\n');
      // The message a user reads says why without Node's stack frames; details keep the whole tail.
      const why = withoutStackFrames(stderr);
      const error = new SymphonyError('E_EXTENSION_START', `extension ${this.id} failed to start: ${(cause as Error).message}${why ? `\n${why}` : ''}`, {
        details: { extensionId: this.id, mode: this.options.spec.mode, entry: this.options.spec.entry, ...(exit ? { exit } : {}), ...(stderr ? { stderr } : {}) },
        cause,
      });
      this.logger.error({ err: error.toJSON() }, 'extension failed to start');
      this.recordCrash({ reason: 'error', error });
      throw error;
    }
  }

  private wire(client: BusClient, launched: Launched): void {
    client.on('event', (name, payload) => this.emit('event', name, payload));
    client.on('progress', ({ method, fraction, message }) => this.emit('progress', { method, fraction, ...(message === undefined ? {} : { message }) }));
    client.on('log', (level, message, fields) => this.logger[level]({ ...fields, extensionId: this.id }, message));
    // A call that timed out or a peer gone silent: ping once; no answer means it is stuck, so kill it.
    const probe = (why: string) => {
      client.ping(this.options.pingTimeoutMs ?? 2_000).catch(() => {
        if (this.instance?.client !== client) return;
        this.logger.warn({ why }, 'extension is unresponsive; killing it');
        launched.kill('SIGKILL');
      });
    };
    // A call cut off (timed out, aborted) whose handler does not let go within the grace (a CPU
    // loop, a promise deaf to its signal): the instance is terminated at once, never left to fail
    // the next call or to be found by a health ping seconds later.
    let warnedOldPeer = false;
    client.on('cancelled', ({ id, method }) => {
      const graceMs = this.options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
      // A peer built with an older SDK never says its handler let go: waiting for that would
      // terminate it after every cut-off call. It is terminated only if it is busy (no pong).
      const oldPeer = !client.peerLetsGo;
      if (oldPeer && !warnedOldPeer) {
        warnedOldPeer = true;
        this.logger.warn({ method }, `extension ${this.id} runs an older @symphony/sdk that does not report when a cut-off call lets go: a handler spinning on the CPU is still terminated after ${graceMs} ms, but one awaiting something deaf to ctx.signal keeps its instance busy; rebuild it with the current @symphony/sdk`);
      }
      const settled = oldPeer ? client.ping(graceMs).then(() => true, () => false) : client.letGoOf(id, graceMs);
      const verdict: Promise<void> = settled.then(async (letGo) => {
        if (letGo || this.instance?.client !== client || this.currentState !== 'running') return;
        this.logger.warn({ method, graceMs }, `a call of ${method} was cut off and its handler did not let go within ${graceMs} ms; terminating the instance (restarted on the next call)`);
        this.instance = undefined;
        this.stopPinging();
        this.setState('idle');
        client.markTerminated(method, graceMs);
        launched.kill('SIGKILL');
        this.emit('stuck', { method, graceMs });
        await withDeadline(launched.exited, 5_000);
      });
      const tracked = verdict.finally(() => this.verdicts.delete(tracked));
      this.verdicts.add(tracked);
    });
    client.on('unresponsive', ({ methods }) => probe(`no acknowledgement for ${methods.join(', ')}`));
    client.on('close', (info) => {
      if (this.instance?.client !== client) return;
      this.instance = undefined;
      this.stopPinging();
      if (this.currentState === 'stopping' || this.currentState === 'stopped') return;
      launched.kill('SIGKILL');
      void launched.exited.then((exit) => this.logger.error({ exit, info }, 'extension crashed'));
      this.recordCrash(info);
      if (this.currentState !== 'failed') this.scheduleRestart();
    });
  }

  private recordCrash(exit: CloseInfo): void {
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.policy.windowMs);
    this.crashTimes.push(now);
    const recentCalls = this.recentCalls;
    this.emit('crash', { exit, crashes: this.crashTimes.length, recentCalls });
    if (this.crashTimes.length >= this.policy.maxCrashes) {
      this.setState('failed');
      // Name the culprit: the calls it was serving when it kept dying.
      this.logger.error({ crashes: this.crashTimes.length, windowMs: this.policy.windowMs, recentCalls }, `extension ${this.id} crashed too often and is disabled`);
      this.emit('failed', { crashes: this.crashTimes.length, recentCalls });
    } else if (this.currentState === 'starting') {
      this.setState('idle');
    }
  }

  private scheduleRestart(): void {
    this.setState('restarting');
    const delay = Math.min(this.policy.maxBackoffMs, this.policy.backoffMs * 2 ** Math.max(0, this.crashTimes.length - 1));
    this.restarting = new Promise<BusClient>((resolve, reject) => {
      this.cancelRestart = () => reject(new SymphonyError('E_EXTENSION_STOPPED', `extension ${this.id} was stopped before it restarted`, { details: { extensionId: this.id } }));
      this.restartTimer = setTimeout(() => {
        this.restarting = undefined;
        if (this.currentState === 'restarting') this.launch().then(resolve, reject);
        else reject(this.currentState === 'failed' ? this.failedError() : new SymphonyError('E_EXTENSION_STOPPED', `extension ${this.id} is ${this.currentState}`, { details: { extensionId: this.id } }));
      }, delay);
    });
    this.restarting.catch(() => {});
  }

  /** Rejects with `E_ABORTED` if the caller gives up before `promise` settles. */
  private waitFor<T>(promise: Promise<T>, method: string, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return promise;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new SymphonyError('E_ABORTED', `${this.id}/${method} was cancelled while the extension was starting`, { details: { extensionId: this.id, method } }));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private startPinging(): void {
    const every = this.options.pingIntervalMs ?? 5_000;
    if (every <= 0) return;
    this.pingTimer = setInterval(() => {
      const instance = this.instance;
      instance?.client.ping(this.options.pingTimeoutMs ?? 2_000).catch(() => {
        if (this.instance !== instance) return;
        this.logger.warn({}, 'extension missed a health ping; killing it');
        instance.launched.kill('SIGKILL');
      });
    }, every);
    this.pingTimer.unref();
  }

  private stopPinging(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private captureOutput(stream: Readable | null, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    // Not readline: a line is kept up to MAX_OUTPUT_LINE characters and the rest only counted,
    // so an extension writing 700 MB without a newline costs the host a few KiB, never a crash.
    const splitter = new LineSplitter(MAX_OUTPUT_LINE, (line) => {
      if (name === 'stderr') {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
      }
      if (name === 'stderr') this.logger.warn({ stream: name }, line);
      else this.logger.info({ stream: name }, line);
      this.emit('output', { stream: name, line });
      this.attribute(name, line);
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => splitter.push(chunk));
    stream.on('end', () => splitter.end());
    stream.on('error', () => splitter.end());
  }

  private remember(method: string): RecentCall {
    const entry: RecentCall = { method, at: Date.now() };
    this.recent.push(entry);
    if (this.recent.length > (this.options.recentCalls ?? 20)) this.recent.shift();
    return entry;
  }

  private failedError(): SymphonyError {
    return new SymphonyError(
      'E_EXTENSION_FAILED',
      `extension ${this.id} crashed ${this.crashTimes.length} times within ${Math.round(this.policy.windowMs / 1000)} s and is disabled until re-enabled`,
      { details: { extensionId: this.id, crashes: this.crashTimes.length, recentCalls: this.recentCalls } },
    );
  }

  private setState(state: SupervisorState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }
}

/** Resolves with the value, or `undefined` once `ms` have passed. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** How long after a call ends its output lines are still attributed to it (stdout is a separate pipe). */
const OUTPUT_GRACE_MS = 250;

/** Longest line of an extension's stdout/stderr the host keeps; the rest of the line is counted and dropped. */
export const MAX_OUTPUT_LINE = 8 * 1024;

/** Splits text into lines, keeping at most `max` characters of each (a longer one ends with a note of what was cut). */
export class LineSplitter {
  private current = '';
  private dropped = 0;

  constructor(
    private readonly max: number,
    private readonly onLine: (line: string) => void,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      const piece = chunk.slice(start, newline < 0 ? undefined : newline);
      this.take(piece);
      if (newline < 0) return;
      this.flush();
      start = newline + 1;
    }
  }

  end(): void {
    if (this.current.length > 0 || this.dropped > 0) this.flush();
  }

  private take(piece: string): void {
    const room = this.max - this.current.length;
    if (piece.length <= room) this.current += piece;
    else {
      this.current += piece.slice(0, Math.max(0, room));
      this.dropped += piece.length - Math.max(0, room);
    }
  }

  private flush(): void {
    let line = this.current.endsWith('\r') ? this.current.slice(0, -1) : this.current;
    if (this.dropped > 0) line += ` …[${this.dropped} more characters dropped]`;
    this.current = '';
    this.dropped = 0;
    this.onLine(line);
  }
}

/** Stderr of a failed start without its stack frames (`    at ...`, `Node.js v20...`) and blank runs. */
export function withoutStackFrames(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s+at\s/.test(line) && !/^Node\.js v\d/.test(line) && !/^\s*\^+\s*$/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
