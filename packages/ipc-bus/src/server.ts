import type { TransferListItem } from 'node:worker_threads';
import { SymphonyError, isSymphonyError, type SymphonyErrorJSON } from '@symphony/types';
import type { BusEndpoint, MessageEventLike } from './endpoint.js';
import { DEFAULT_LIMITS } from './client.js';
import { FrameWriter } from './frame-writer.js';
import { payloadSize } from './payload.js';
import { FLAG_PROGRESS, Op, type LogLevel, type Message } from './protocol.js';

/** What a handler receives besides its input. */
export interface ServerCallContext {
  readonly id: number;
  readonly method: string;
  /** Aborted when the caller cancels or its time limit passes. */
  readonly signal: AbortSignal;
  /** Reports progress to the caller (dropped unless the caller asked for progress). */
  progress(fraction: number, message?: string): void;
  /** Sends a named event to the host. */
  emit(name: string, payload?: unknown): void;
  /** A log line the host records with this extension's id. */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /** ArrayBuffers in the reply to move instead of copy (worker transport). */
  transfer(list: readonly TransferListItem[]): void;
}

export type CallHandler = (method: string, input: unknown, ctx: ServerCallContext) => unknown;

export interface ServeOptions {
  /** Methods served; any other name fails at once with `E_METHOD_UNKNOWN`. */
  methods: readonly string[];
  handle: CallHandler;
  maxPayloadBytes?: number;
  /** Called once the host asked to shut down and every in-flight call has finished. */
  onShutdown?: () => void;
}

export interface BusServer {
  emit(name: string, payload?: unknown): void;
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  readonly inFlight: number;
  close(): void;
}

/**
 * The extension side of a connection: dispatches requests, acknowledges every request it has
 * not answered by the end of the tick, aborts handlers on cancel, and turns anything thrown into a
 * structured error that keeps its code, message and stack.
 */
export function serve(endpoint: BusEndpoint, options: ServeOptions): BusServer {
  const methods = new Set(options.methods);
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_LIMITS.maxPayloadBytes;
  const writer = new FrameWriter(endpoint, (message, error) => {
    // A reply that cannot be cloned (a function, a class instance with private state...).
    if (message[0] === Op.Reply) {
      writer.push([Op.Fail, message[1], encodeError(new SymphonyError('E_OUTPUT_INVALID', `the result cannot be sent: ${error.message}`))]);
    }
  });
  const running = new Map<number, CallContext>();
  const unacked = new Set<number>();
  let ackScheduled = false;
  let shuttingDown = false;

  const flushAcks = (): void => {
    ackScheduled = false;
    if (unacked.size === 0) return;
    writer.push([Op.Ack, [...unacked]]);
    unacked.clear();
  };

  const finish = (ctx: CallContext, message: Message, transfer?: readonly TransferListItem[], bytes?: number): void => {
    if (!running.delete(ctx.id)) return;
    unacked.delete(ctx.id);
    // A cancelled call's result is not wanted; that it settled is (the host waits for it).
    if (!ctx.cancelled) writer.push(message, transfer, bytes);
    else writer.push([Op.Fail, ctx.id, SETTLED_AFTER_CANCEL]);
    if (shuttingDown && running.size === 0) options.onShutdown?.();
  };

  /** The reply (or the payload-cap failure) for a result. */
  const replyFor = (ctx: CallContext, result: unknown): [Message, number] => {
    const size = payloadSize(result, maxPayloadBytes);
    if (size <= maxPayloadBytes) return [[Op.Reply, ctx.id, result], size];
    const error = new SymphonyError('E_PAYLOAD_TOO_LARGE', `the result of ${ctx.method} is about ${size} bytes, over the ${maxPayloadBytes}-byte cap`, {
      details: { method: ctx.method, bytes: size, maxPayloadBytes },
    });
    return [[Op.Fail, ctx.id, encodeError(error)], 0];
  };

  const onResult = (ctx: CallContext, result: unknown): void => {
    const [message, size] = replyFor(ctx, result);
    finish(ctx, message, ctx.transferList, size);
  };

  const onRequest = (id: number, method: string, input: unknown, flags: number): void => {
    if (!methods.has(method)) {
      const error = new SymphonyError('E_METHOD_UNKNOWN', `no method "${method}" (served: ${[...methods].join(', ')})`, {
        details: { method, methods: [...methods] },
      });
      writer.push([Op.Fail, id, encodeError(error)]);
      return;
    }
    const ctx = new CallContext(id, method, (flags & FLAG_PROGRESS) !== 0, writer);
    let result: unknown;
    try {
      result = options.handle(method, input, ctx);
    } catch (error) {
      writer.push([Op.Fail, id, encodeError(error)]);
      return;
    }
    if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') {
      // Answered within the tick: the reply is its own ack and nothing needs tracking.
      const [message, size] = replyFor(ctx, result);
      writer.push(message, ctx.transferList, size);
      return;
    }
    // Still running: track it for cancel and shutdown, and acknowledge it at the end of the tick.
    running.set(id, ctx);
    unacked.add(id);
    if (!ackScheduled) {
      ackScheduled = true;
      setImmediate(flushAcks);
    }
    (result as PromiseLike<unknown>).then(
      (value) => onResult(ctx, value),
      (error) => finish(ctx, [Op.Fail, id, encodeError(error)]),
    );
  };

  const onMessage = (event: MessageEventLike): void => {
    const frame = event.data;
    if (!Array.isArray(frame)) return;
    for (const message of frame as Message[]) {
      switch (message[0]) {
        case Op.Request:
          onRequest(message[1], message[2], message[3], message[4]);
          break;
        case Op.Cancel:
          // Still tracked until its handler settles: `finish` then tells the host it let go.
          running.get(message[1])?.abort();
          unacked.delete(message[1]);
          break;
        case Op.Ping:
          {
            // The instance's own memory rides on the pong: the host's pool budgets from it.
            const mem = process.memoryUsage();
            writer.push([Op.Pong, message[1], [mem.heapUsed, mem.rss]]);
          }
          break;
        case Op.Shutdown:
          shuttingDown = true;
          if (running.size === 0) options.onShutdown?.();
          break;
        default:
          break;
      }
    }
  };

  endpoint.addEventListener('message', onMessage);
  endpoint.onClose(() => {
    for (const ctx of running.values()) ctx.abort();
    running.clear();
  });
  writer.push([Op.Ready, { methods: [...methods], pid: process.pid, letGo: true }]);

  return {
    emit: (name, payload) => writer.push([Op.Event, name, payload]),
    log: (level, message, fields) => writer.push([Op.Log, level, message, fields]),
    get inFlight() {
      return running.size;
    },
    close() {
      writer.flush();
      endpoint.removeEventListener('message', onMessage);
      endpoint.close();
    },
  };
}

class CallContext implements ServerCallContext {
  cancelled = false;
  transferList: TransferListItem[] | undefined;
  private controller: AbortController | undefined;

  constructor(
    readonly id: number,
    readonly method: string,
    private readonly wantsProgress: boolean,
    private readonly writer: FrameWriter,
  ) {}

  // Made on first use: most handlers never look at their signal, and a controller costs a µs.
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.cancelled && !this.controller.signal.aborted) this.controller.abort(cancelReason(this.method));
    return this.controller.signal;
  }

  abort(): void {
    this.cancelled = true;
    this.controller?.abort(cancelReason(this.method));
  }

  progress(fraction: number, message?: string): void {
    if (!this.wantsProgress || this.cancelled) return;
    const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
    this.writer.push([Op.Progress, this.id, clamped, message]);
  }

  emit(name: string, payload?: unknown): void {
    this.writer.push([Op.Event, name, payload]);
  }

  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.writer.push([Op.Log, level, message, { ...fields, method: this.method, callId: this.id }]);
  }

  transfer(list: readonly TransferListItem[]): void {
    (this.transferList ??= []).push(...list);
  }
}

/** What a cancelled call's handler sends when it settles: small, whatever it returned. */
const SETTLED_AFTER_CANCEL: SymphonyErrorJSON = { name: 'SymphonyError', code: 'E_ABORTED', message: 'the cancelled call settled' };

function cancelReason(method: string): SymphonyError {
  return new SymphonyError('E_ABORTED', `the call to ${method} was cancelled by the host`, { details: { method } });
}

/** Anything thrown, as plain data that keeps the code, the message and the stack. */
export function encodeError(error: unknown): SymphonyErrorJSON {
  if (isSymphonyError(error)) return error.toJSON();
  if (error instanceof Error) {
    const raw = (error as { code?: unknown }).code;
    const code = typeof raw === 'string' && /^E_[A-Z0-9_]+$/.test(raw) ? (raw as `E_${string}`) : 'E_EXTENSION_ERROR';
    const details: Record<string, unknown> = { errorName: error.name };
    if (typeof raw === 'string' && code !== raw) details.originalCode = raw;
    return { name: 'SymphonyError', code, message: error.message, details, ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { name: 'SymphonyError', code: 'E_EXTENSION_ERROR', message: String(error) };
}
