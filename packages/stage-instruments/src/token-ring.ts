import { RingChannel } from '@symphony/ipc-bus';
import { SymphonyError } from '@symphony/types';

/** What travels through a token ring: a piece of text, or the end of the stream. */
export type TokenMessage = { t: string } | { end: true };

/** The extension's side: writes tokens into the ring the host passed in the call's input. */
export interface TokenRingWriter {
  write(token: string): void;
  end(): void;
}

export const DEFAULT_TOKEN_RING_BYTES = 64 * 1024;

/**
 * Opens the writer end. A full ring blocks this thread (the extension's worker, never the host)
 * until the host reads, up to `timeoutMs`; past that the host stopped reading and the call fails.
 */
export function openTokenRing(buffer: SharedArrayBuffer, timeoutMs = 10_000): TokenRingWriter {
  const channel = new RingChannel<TokenMessage>(buffer);
  const send = (message: TokenMessage) => {
    if (!channel.send(message, timeoutMs)) {
      throw new SymphonyError('E_OVERLOADED', `the host read no token for ${timeoutMs} ms; the token ring of ${channel.ring.capacity} bytes stayed full`, {
        details: { capacity: channel.ring.capacity, timeoutMs },
      });
    }
  };
  return { write: (t) => send({ t }), end: () => send({ end: true }) };
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
  let settled = false;
  const call = stage
    .call(uses, { ...input, [options.field ?? 'tokens']: channel.buffer }, { signal: options.signal, timeoutMs: options.timeoutMs })
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
      options.onToken(message.t);
    }
  })();
  const [result] = await Promise.all([call, pump]);
  return result as T;
}
