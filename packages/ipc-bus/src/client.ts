import type { TransferListItem } from 'node:worker_threads';
import { EventEmitter } from 'eventemitter3';
import { SymphonyError } from '@symphony/types';
import { abortError, remoteError, stripUndefined, timeoutError } from './errors.js';
import type { BusEndpoint, CloseInfo, MessageEventLike } from './endpoint.js';
import { FrameWriter } from './frame-writer.js';
import { payloadSize } from './payload.js';
import { FLAG_PROGRESS, Op, type LogLevel, type Message, type ReadyInfo } from './protocol.js';

/** Per-connection limits; the sandbox sets them per extension. */
export interface CallLimits {
  /** Default time limit of a call in ms (`Infinity` for none). */
  timeoutMs: number;
  /** Largest request or reply payload, estimated in bytes (`E_PAYLOAD_TOO_LARGE`). */
  maxPayloadBytes: number;
  /** Calls on the wire at once; more callers wait in line (backpressure), they never pile up. */
  maxInFlight: number;
  /** A peer that acknowledges nothing for this long is reported unresponsive. */
  unresponsiveMs: number;
}

const LOG_LEVELS = new Set<unknown>(['trace', 'debug', 'info', 'warn', 'error']);

/** A peer's message, short, for an error (never throws on odd values). */
function describeMessage(message: unknown): string {
  try {
    return (JSON.stringify(message) ?? String(message)).slice(0, 80);
  } catch {
    return '(unprintable)';
  }
}

/** Cancelled calls remembered until their handler settles; past this the oldest is forgotten. */
const MAX_ABANDONED = 1024;

export const DEFAULT_LIMITS: CallLimits = {
  timeoutMs: 30_000,
  maxPayloadBytes: 64 * 1024 * 1024,
  maxInFlight: 1024,
  unresponsiveMs: 3_000,
};

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** ArrayBuffers to move to the peer without a copy (worker transport only; others copy). */
  transfer?: readonly TransferListItem[];
  /** Receives `ctx.progress(fraction, message)` from the handler. */
  onProgress?: (fraction: number, message?: string) => void;
  /**
   * Receives what the call's handler logs with `ctx.log` (exact: the log carries the call id) and,
   * through the supervisor, the extension's stdout/stderr lines written while the call runs
   * (`ambiguous` when other calls with an `onLog` were running at the same time).
   */
  onLog?: (entry: CallLogEntry) => void;
}

/** One line an extension wrote during a call. */
export interface CallLogEntry {
  stream: 'log' | 'stdout' | 'stderr';
  level?: LogLevel;
  line: string;
  /** Set when the line could belong to another call running at the same time (stdout/stderr only). */
  ambiguous?: boolean;
}

export interface ClientEvents {
  event: [name: string, payload: unknown];
  progress: [info: { id: number; method: string; fraction: number; message?: string }];
  log: [level: LogLevel, message: string, fields: Record<string, unknown> | undefined];
  ready: [info: ReadyInfo];
  timeout: [info: { id: number; method: string; timeoutMs: number }];
  /** A call on the wire cut off by its caller's signal or its time limit (the peer was told to cancel it). */
  cancelled: [info: { id: number; method: string }];
  unresponsive: [info: { sinceMs: number; methods: string[] }];
  responsive: [];
  idle: [];
  close: [info: CloseInfo];
}

interface Pending {
  id: number;
  method: string;
  resolve(value: unknown): void;
  reject(error: SymphonyError): void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onProgress: CallOptions['onProgress'];
  onLog?: CallOptions['onLog'];
  acked: boolean;
  sentAt: number;
}

export interface BusClientOptions extends Partial<CallLimits> {
  /** Who is on the other side (an extension id): named in every error's details. */
  peer?: string;
}

/**
 * The host side of a connection: calls with timeouts, cancellation, progress, backpressure and a
 * payload cap, and a guarantee that every call settles exactly once, even when the peer dies.
 */
export class BusClient extends EventEmitter<ClientEvents> {
  readonly peer: string;
  readonly limits: CallLimits;
  /** Resolves when the peer announces its methods; rejects if it dies first. */
  readonly ready: Promise<ReadyInfo>;
  private readonly writer: FrameWriter;
  private readonly pending = new Map<number, Pending>();
  /** Ids of cancelled calls whose handler the peer has not reported settled yet (oldest first). */
  private readonly abandoned = new Set<number>();
  private readonly letGoWaiters = new Map<number, () => void>();
  private readonly waiting: Array<() => void> = [];
  private readonly pings = new Map<number, (rttMs: number) => void>();
  private methods: Set<string> | undefined;
  private nextId = 1;
  private closedWith: CloseInfo | undefined;
  private readyInfo: ReadyInfo | undefined;
  /** Set when the host itself terminates the instance (a cut-off call that did not let go). */
  private terminatedFor: { method: string; graceMs: number } | undefined;
  private lastHeardAt = performance.now();
  private unresponsive = false;
  private readonly watchdog: NodeJS.Timeout;
  private resolveReady!: (info: ReadyInfo) => void;
  private rejectReady!: (error: SymphonyError) => void;

  constructor(private readonly endpoint: BusEndpoint, options: BusClientOptions = {}) {
    super();
    this.peer = options.peer ?? 'peer';
    const { peer: _peer, ...limits } = options;
    this.limits = { ...DEFAULT_LIMITS, ...stripUndefined(limits) };
    this.ready = new Promise<ReadyInfo>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.writer = new FrameWriter(endpoint, (message, error) => this.unsendable(message, error));
    endpoint.addEventListener('message', this.onMessage);
    endpoint.onClose((info) => this.closeWith(info));
    const every = Math.max(50, Math.min(1_000, this.limits.unresponsiveMs / 3));
    this.watchdog = setInterval(() => this.checkResponsive(), every);
    this.watchdog.unref();
  }

  /** Calls on the wire plus callers waiting for a slot. */
  get inFlight(): number {
    return this.pending.size + this.waiting.length;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  get isUnresponsive(): boolean {
    return this.unresponsive;
  }

  /** Methods the peer announced (undefined until it is ready). */
  get knownMethods(): readonly string[] | undefined {
    return this.methods ? [...this.methods] : undefined;
  }

  call(method: string, input?: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.crashError(method, this.closedWith));
    if (this.methods && !this.methods.has(method)) return Promise.reject(this.unknownMethod(method));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError(this.peer, method, signal));
    const size = payloadSize(input, this.limits.maxPayloadBytes);
    if (size > this.limits.maxPayloadBytes) {
      return Promise.reject(
        new SymphonyError('E_PAYLOAD_TOO_LARGE', `the input of ${this.peer}/${method} is about ${size} bytes, over the ${this.limits.maxPayloadBytes}-byte cap`, {
          details: { extensionId: this.peer, method, bytes: size, maxPayloadBytes: this.limits.maxPayloadBytes },
        }),
      );
    }
    if (this.pending.size < this.limits.maxInFlight) return this.send(method, input, options, options.timeoutMs ?? this.limits.timeoutMs, size);
    return this.queue(method, input, options, size);
  }

  /** The peer's memory as its last pong reported it (`undefined` before the first pong). */
  lastMemory: { heapUsedBytes: number; rssBytes: number } | undefined = undefined;

  /** Pings the peer and returns the memory its pong reports. */
  async memory(timeoutMs = 1_000): Promise<{ heapUsedBytes: number; rssBytes: number } | undefined> {
    await this.ping(timeoutMs);
    return this.lastMemory;
  }

  /** Round trip of a health ping in ms; rejects with `E_TIMEOUT` if no pong comes back in time. */
  ping(timeoutMs = 1_000): Promise<number> {
    if (this.closedWith) return Promise.reject(this.crashError('(ping)', this.closedWith));
    const seq = this.nextId++;
    const t0 = performance.now();
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(seq);
        reject(new SymphonyError('E_TIMEOUT', `${this.peer} did not answer a health ping within ${timeoutMs} ms`, { details: { extensionId: this.peer, timeoutMs } }));
      }, timeoutMs);
      this.pings.set(seq, () => {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      });
      this.writer.push([Op.Ping, seq]);
    });
  }

  /** Asks the peer to finish its calls and exit by itself. */
  requestShutdown(): void {
    if (!this.closedWith) this.writer.push([Op.Shutdown]);
  }

  /** Resolves once no call is in flight (immediately if none is). */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', () => resolve()));
  }

  /** Ends the connection; every pending call rejects with `E_EXTENSION_CRASHED`. */
  close(info: CloseInfo = { reason: 'closed' }): void {
    this.endpoint.close();
    this.closeWith(info);
  }

  private send(method: string, input: unknown, options: CallOptions, timeoutMs: number, size: number): Promise<unknown> {
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const entry: Pending = {
        id,
        method,
        resolve,
        reject,
        timer: undefined,
        signal: options.signal,
        onAbort: undefined,
        onProgress: options.onProgress,
        ...(options.onLog ? { onLog: options.onLog } : {}),
        acked: false,
        sentAt: performance.now(),
      };
      if (Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => this.expire(entry, timeoutMs), timeoutMs);
      }
      if (options.signal) {
        const signal = options.signal;
        entry.onAbort = () => this.cancel(entry, abortError(this.peer, method, signal));
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.pending.set(id, entry);
      this.writer.push([Op.Request, id, method, input, options.onProgress ? FLAG_PROGRESS : 0], options.transfer, size);
    });
  }

  /** Waits for a free slot, honouring the caller's signal and time limit while it waits. */
  private queue(method: string, input: unknown, options: CallOptions, size: number): Promise<unknown> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (error: SymphonyError) => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => leave(abortError(this.peer, method, options.signal!));
      const go = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (this.closedWith) return reject(this.crashError(method, this.closedWith));
        const left = timeoutMs - (performance.now() - started);
        this.send(method, input, options, left, size).then(resolve, reject);
      };
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => leave(timeoutError(this.peer, method, timeoutMs, 'waiting for a free slot')), timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(go);
    });
  }

  private settle(entry: Pending): void {
    this.pending.delete(entry.id);
    if (entry.timer) clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal!.removeEventListener('abort', entry.onAbort);
    const next = this.waiting.shift();
    if (next) next();
    else if (this.pending.size === 0) this.emit('idle');
  }

  private cancel(entry: Pending, error: SymphonyError): void {
    if (!this.pending.has(entry.id)) return;
    this.settle(entry);
    this.writer.push([Op.Cancel, entry.id]);
    // Until the peer says its handler settled (its late Reply or Fail), the call still holds it.
    this.abandoned.add(entry.id);
    if (this.abandoned.size > MAX_ABANDONED) this.letGo(this.abandoned.values().next().value as number);
    entry.reject(error);
    this.emit('cancelled', { id: entry.id, method: entry.method });
  }

  /**
   * Resolves true once the peer's handler of a cancelled call `id` has settled (at once if it
   * already has, or the connection closed), false if it has not within `graceMs`.
   */
  /** False for a peer that never reports when a cancelled handler settles (an older SDK). */
  get peerLetsGo(): boolean {
    return this.readyInfo?.letGo === true;
  }

  letGoOf(id: number, graceMs: number): Promise<boolean> {
    if (!this.abandoned.has(id) || this.closedWith) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.letGoWaiters.delete(id);
        resolve(false);
      }, graceMs);
      this.letGoWaiters.set(id, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private letGo(id: number): void {
    this.abandoned.delete(id);
    const waiter = this.letGoWaiters.get(id);
    this.letGoWaiters.delete(id);
    waiter?.();
  }

  private expire(entry: Pending, timeoutMs: number): void {
    entry.timer = undefined;
    this.cancel(entry, timeoutError(this.peer, entry.method, timeoutMs, entry.acked ? 'the handler was still running' : 'the request was never acknowledged'));
    this.emit('timeout', { id: entry.id, method: entry.method, timeoutMs });
  }

  private readonly onMessage = (event: MessageEventLike): void => {
    const frame = event.data;
    if (!Array.isArray(frame)) return this.protocolError('a frame that is not an array');
    this.lastHeardAt = performance.now();
    if (this.unresponsive) {
      this.unresponsive = false;
      this.emit('responsive');
    }
    for (const message of frame as Message[]) {
      if (this.closedWith) return;
      // The peer is not trusted: a message of the wrong shape closes its connection (E_PROTOCOL),
      // it never throws out of this handler (which would take the whole host down).
      if (!Array.isArray(message)) return this.protocolError(`a message that is not an array (${message === null ? 'null' : typeof message})`);
      try {
        this.handle(message);
      } catch (error) {
        return this.protocolError(`a malformed message ${describeMessage(message)} (${(error as Error)?.message ?? String(error)})`);
      }
    }
  };

  private handle(message: Message): void {
    switch (message[0]) {
      case Op.Reply: {
        const entry = this.pending.get(message[1]);
        if (!entry) return this.letGo(message[1]); // cancelled or timed out: the late reply is dropped
        this.settle(entry);
        entry.resolve(message[2]);
        return;
      }
      case Op.Fail: {
        const entry = this.pending.get(message[1]);
        if (!entry) return this.letGo(message[1]); // a cancelled call's handler has settled
        this.settle(entry);
        entry.reject(remoteError(message[2], this.peer, entry.method));
        return;
      }
      case Op.Ack:
        if (!Array.isArray(message[1])) return this.protocolError(`an ack without a list of ids ${describeMessage(message)}`);
        for (const id of message[1]) {
          const entry = this.pending.get(id);
          if (entry) entry.acked = true;
        }
        return;
      case Op.Progress: {
        const entry = this.pending.get(message[1]);
        if (!entry) return;
        entry.onProgress?.(message[2], message[3]);
        this.emit('progress', { id: entry.id, method: entry.method, fraction: message[2], ...(message[3] === undefined ? {} : { message: message[3] }) });
        return;
      }
      case Op.Event:
        this.emit('event', message[1], message[2]);
        return;
      case Op.Log: {
        // An unknown level is logged as info; fields that are no object are dropped.
        const level: LogLevel = LOG_LEVELS.has(message[1]) ? message[1] : 'info';
        const raw = message[3] as unknown;
        const fields = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
        const text = typeof message[2] === 'string' ? message[2] : String(message[2]);
        const entry = typeof fields?.callId === 'number' ? this.pending.get(fields.callId) : undefined;
        if (entry?.onLog) {
          const stream = fields?.stream === 'stdout' || fields?.stream === 'stderr' ? fields.stream : undefined;
          try {
            entry.onLog(stream ? { stream, line: text } : { stream: 'log', level, line: text });
          } catch {
            // A listener's failure never breaks the bus.
          }
        }
        this.emit('log', level, text, fields);
        return;
      }
      case Op.Pong:
        if (message[2]) this.lastMemory = { heapUsedBytes: message[2][0], rssBytes: message[2][1] };
        this.pings.get(message[1])?.(0);
        this.pings.delete(message[1]);
        return;
      case Op.Ready: {
        const info = message[1] as unknown as { methods?: unknown } | null;
        if (typeof info !== 'object' || info === null || !Array.isArray(info.methods) || !info.methods.every((m) => typeof m === 'string')) {
          return this.protocolError(`a ready message without a list of method names ${describeMessage(message)}`);
        }
        this.methods = new Set(message[1].methods);
        this.readyInfo = message[1];
        this.resolveReady(message[1]);
        this.emit('ready', message[1]);
        return;
      }
      default:
        this.protocolError(`an unknown message ${JSON.stringify(message).slice(0, 80)}`);
    }
  }

  private checkResponsive(): void {
    if (this.closedWith || this.unresponsive || this.pending.size === 0) return;
    const now = performance.now();
    if (now - this.lastHeardAt < this.limits.unresponsiveMs) return;
    for (const entry of this.pending.values()) {
      if (entry.acked || now - entry.sentAt < this.limits.unresponsiveMs) continue;
      this.unresponsive = true;
      this.emit('unresponsive', { sinceMs: now - this.lastHeardAt, methods: [...this.pending.values()].map((e) => e.method) });
      return;
    }
  }

  private protocolError(what: string): void {
    const error = new SymphonyError('E_PROTOCOL', `${this.peer} sent ${what}; the connection was closed`, { details: { extensionId: this.peer } });
    this.close({ reason: 'error', error });
  }

  private unsendable(message: Message, error: Error): void {
    if (message[0] !== Op.Request) return;
    const entry = this.pending.get(message[1]);
    if (!entry) return;
    this.settle(entry);
    entry.reject(
      new SymphonyError('E_INPUT_INVALID', `the input of ${this.peer}/${entry.method} cannot be sent: ${error.message}`, {
        details: { extensionId: this.peer, method: entry.method },
        cause: error,
      }),
    );
  }

  private closeWith(info: CloseInfo): void {
    if (this.closedWith) return;
    this.closedWith = info;
    clearInterval(this.watchdog);
    this.endpoint.removeEventListener('message', this.onMessage);
    this.rejectReady(this.crashError('(start)', info));
    const entries = [...this.pending.values()];
    for (const entry of entries) {
      this.settle(entry);
      entry.reject(this.crashError(entry.method, info));
    }
    for (const go of this.waiting.splice(0)) go();
    this.pings.clear();
    for (const id of [...this.abandoned]) this.letGo(id);
    this.emit('close', info);
    if (entries.length > 0) this.emit('idle');
  }

  /**
   * Says the host is about to terminate this instance because a cut-off call of `method` did not
   * let go within `graceMs`: the calls still in flight then fail `E_EXTENSION_CRASHED` with
   * `details.stuck` (`{ method, graceMs }`), so a caller can tell this from a crash of the
   * extension's own (the Conductor does not charge it to a run's crash budget).
   */
  markTerminated(method: string, graceMs: number): void {
    if (!this.closedWith) this.terminatedFor = { method, graceMs };
  }

  private crashError(method: string, info: CloseInfo): SymphonyError {
    const stuck = this.terminatedFor;
    if (stuck) {
      return new SymphonyError(
        'E_EXTENSION_CRASHED',
        `${this.peer} was terminated by the host while ${method} was pending: a cut-off call of ${stuck.method} did not let go within ${stuck.graceMs} ms`,
        { details: { extensionId: this.peer, method, reason: info.reason, exitCode: info.exitCode, signal: info.signal, stuck: { ...stuck } } },
      );
    }
    const how =
      info.reason === 'exit'
        ? `exited (${info.signal ? `signal ${info.signal}` : `code ${info.exitCode}`})${info.error ? `: ${info.error.message}` : ''}`
        : info.error
          ? `lost its connection: ${info.error.message}`
          : 'closed its connection';
    return new SymphonyError('E_EXTENSION_CRASHED', `${this.peer} ${how} while ${method} was pending`, {
      details: { extensionId: this.peer, method, reason: info.reason, exitCode: info.exitCode, signal: info.signal },
      ...(info.error ? { cause: info.error } : {}),
    });
  }

  private unknownMethod(method: string): SymphonyError {
    return new SymphonyError('E_METHOD_UNKNOWN', `${this.peer} has no method "${method}" (it has: ${[...(this.methods ?? [])].join(', ')})`, {
      details: { extensionId: this.peer, method, methods: [...(this.methods ?? [])] },
    });
  }
}
