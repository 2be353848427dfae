import { RingChannel } from '@symphony/ipc-bus';
import { SymphonyError } from '@symphony/types';

/** What travels through a token ring: a piece of text, or the end of the stream. */
export type TokenMessage = { t: string } | { end: true };

/** The extension's side: puts tokens into the ring the host passed in the call's input. */
export interface TokenRingWriter {
  /** Sends a token now if the ring has room, else queues it until the host has read. Never blocks. */
  write(token: string): void;
  /**
   * Sends the end marker after every queued token and resolves once all are in the ring, so the
   * call's reply never overtakes its tokens. An aborted `signal` drops what is still queued.
   */
  end(signal?: AbortSignal): Promise<void>;
}

export const DEFAULT_TOKEN_RING_BYTES = 64 * 1024;

/**
 * Opens the writer end. It never blocks the extension's thread (a thread stuck in Atomics.wait
 * could not answer the bus's pings nor a cancel): a full ring queues tokens in memory and retries
 * every millisecond. If the host reads nothing for `timeoutMs`, the next write or `end` fails with
 * `E_OVERLOADED`.
 */
export function openTokenRing(buffer: SharedArrayBuffer, timeoutMs = 10_000): TokenRingWriter {
  const channel = new RingChannel<TokenMessage>(buffer);
  const queue: TokenMessage[] = [];
  let failure: SymphonyError | undefined;
  let flushing: Promise<void> | undefined;
  let dropped = false;
  const drain = () => {
    while (queue.length > 0 && channel.trySend(queue[0]!)) queue.shift();
  };
  const flushLater = (): Promise<void> =>
    (flushing ??= (async () => {
      let deadline = performance.now() + timeoutMs;
      while (queue.length > 0 && !dropped) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const before = queue.length;
        drain();
        if (queue.length < before) deadline = performance.now() + timeoutMs;
        else if (performance.now() > deadline) {
          failure = new SymphonyError('E_OVERLOADED', `the host read no token for ${timeoutMs} ms; the ${channel.ring.capacity}-byte token ring stayed full`, {
            details: { capacity: channel.ring.capacity, timeoutMs, queued: queue.length },
          });
          queue.length = 0;
        }
      }
      flushing = undefined;
    })());
  const send = (message: TokenMessage) => {
    if (failure) throw failure;
    queue.push(message);
    drain();
    if (queue.length > 0) void flushLater();
  };
  return {
    write: (t) => send({ t }),
    async end(signal) {
      send({ end: true });
      if (signal?.aborted) dropped = true;
      else signal?.addEventListener('abort', () => (dropped = true), { once: true });
      if (flushing) await flushing;
      if (failure) throw failure;
    },
  };
}

/** The slice of the `stage` service a streaming call needs (structural: no import of the loader). */
export interface StageCaller {
  call(uses: string, input?: unknown, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<unknown>;
  /** When present, used to refuse early an extension that cannot share memory. */
  list?(): readonly { id: string; mode?: string }[];
}

export interface StreamingCallOptions {
  onToken: (token: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Ring size. Default 64 KiB. */
  ringBytes?: number;
  /** Input field the ring's SharedArrayBuffer goes in. Default `tokens`. */
  field?: string;
}

/**
 * Calls a Stage method that streams tokens (such as `symphony.chat/complete`) with a fresh
 * shared-memory ring in its input, handing each token to `onToken` as it arrives and in order,
 * without a postMessage per token. The extension must run in a worker thread (trusted):
 * processes cannot share memory.
 */
export async function callStreaming<T = unknown>(stage: StageCaller, uses: string, input: Record<string, unknown>, options: StreamingCallOptions): Promise<T> {
  const extensionId = uses.slice(0, uses.indexOf('/'));
  const mode = stage.list?.().find((e) => e.id === extensionId)?.mode;
  if (mode !== undefined && mode !== 'worker') {
    throw new SymphonyError('E_INPUT_INVALID', `${extensionId} runs in ${mode} mode, and a token ring needs shared memory: list "${extensionId}" in the stage's \`trusted\` ids so it runs in a worker thread`, {
      details: { extensionId, mode, uses },
    });
  }
  const channel = new RingChannel<TokenMessage>(options.ringBytes ?? DEFAULT_TOKEN_RING_BYTES);
  // If the consumer's onToken throws, nobody reads the ring any more: cancel the call too.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let settled = false;
  const call = stage
    .call(uses, { ...input, [options.field ?? 'tokens']: channel.buffer }, { signal, timeoutMs: options.timeoutMs })
    .finally(() => (settled = true));
  // Everything the extension wrote is in the ring before its reply is posted, so once the call
  // has settled a non-blocking drain finds the rest; until then wait on the ring itself.
  const pump = (async () => {
    for (;;) {
      const message = settled ? channel.tryReceive() : await channel.receiveAsync(20);
      if (message === undefined) {
        if (settled) return;
        continue;
      }
      if ('end' in message) return;
      try {
        options.onToken(message.t);
      } catch (err) {
        stop.abort(err);
        throw err;
      }
    }
  })();
  const [result] = await Promise.all([call, pump]);
  return result as T;
}
