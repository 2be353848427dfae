import { SymphonyError, isSymphonyError } from '@symphony/types';
import type { Instrument } from './instrument.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatClientOptions {
  /** e.g. `http://127.0.0.1:8080/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Whole-request limit, streaming included. Default 60 000. */
  timeoutMs?: number;
  /** Retries on network errors, 429 and 5xx, before the first token only. Default 3. */
  retries?: number;
  /** First backoff; doubles each retry, with jitter; a Retry-After header wins. Default 250. */
  backoffMs?: number;
}

export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /** Called with each streamed piece of text, in order. */
  onToken?: (token: string) => void;
}

export interface ChatResult {
  text: string;
  finishReason: string | null;
  tokens: number;
  attempts: number;
}

const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/** A client for OpenAI-compatible `/chat/completions` endpoints that streams tokens. */
export function createChatClient(options: ChatClientOptions) {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 250;

  async function complete(request: ChatRequest): Promise<ChatResult> {
    const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 60_000), ...(request.signal ? [request.signal] : [])]);
    let attempt = 0;
    for (;;) {
      attempt++;
      let streamed = 0;
      try {
        const response = await fetch(url, {
          method: 'POST',
          signal,
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: options.model,
            messages: request.messages,
            stream: true,
            ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          }),
        });
        if (!response.ok) {
          const body = await response.text().catch(() => '');
          const err = new SymphonyError(response.status === 401 || response.status === 403 ? 'E_PERMISSION_DENIED' : 'E_UPSTREAM', `chat endpoint answered ${response.status}: ${body.slice(0, 300)}`, {
            details: { status: response.status, url },
          });
          if (!RETRYABLE.has(response.status) || attempt > retries) throw err;
          await sleep(retryDelay(response.headers.get('retry-after'), backoffMs, attempt), signal);
          continue;
        }
        let text = '';
        let finishReason: string | null = null;
        for await (const event of sseEvents(response.body as ReadableStream<Uint8Array>)) {
          if (event === '[DONE]') break;
          let chunk: { choices?: { delta?: { content?: string }; finish_reason?: string | null }[] };
          try {
            chunk = JSON.parse(event);
          } catch {
            throw new SymphonyError('E_UPSTREAM', `chat endpoint sent a malformed event: ${event.slice(0, 120)}`, { details: { url } });
          }
          const choice = chunk.choices?.[0];
          const piece = choice?.delta?.content;
          if (piece) {
            text += piece;
            streamed++;
            request.onToken?.(piece);
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
        }
        return { text, finishReason, tokens: streamed, attempts: attempt };
      } catch (err) {
        if (signal.aborted) {
          const timedOut = !request.signal?.aborted;
          throw new SymphonyError(timedOut ? 'E_TIMEOUT' : 'E_ABORTED', timedOut ? `chat request took longer than ${options.timeoutMs ?? 60_000} ms` : 'chat request cancelled', {
            details: { url, attempts: attempt },
            cause: err,
          });
        }
        if (isSymphonyError(err)) throw err;
        // A retry after tokens were delivered would repeat them to the caller: refuse instead.
        if (streamed > 0) throw new SymphonyError('E_UPSTREAM', `chat stream broke after ${streamed} tokens: ${(err as Error).message}`, { details: { url }, cause: err });
        if (attempt > retries) throw new SymphonyError('E_UPSTREAM', `chat endpoint unreachable after ${attempt} attempts: ${(err as Error).message}`, { details: { url }, cause: err });
        await sleep(retryDelay(null, backoffMs, attempt), signal);
      }
    }
  }
  return { complete, url };
}

export type ChatClient = ReturnType<typeof createChatClient>;

/** Splits a Server-Sent Events body into `data:` payloads. */
async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (data) yield data;
    }
  }
}

function retryDelay(retryAfter: string | null, base: number, attempt: number): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 30_000);
  return base * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

/** A chat endpoint as an instrument: each instance is a client; the canary asks for one token. */
export function chatInstrument(id: string, options: ChatClientOptions): Instrument<ChatClient, ChatRequest, ChatResult> {
  return {
    id,
    load: async () => createChatClient(options),
    infer: (client, request, signal) => client.complete({ ...request, signal: signal ?? request.signal }),
    health: async (client, signal) => (await client.complete({ messages: [{ role: 'user', content: 'ping' }], maxTokens: 1, signal })).attempts >= 1,
    maxConcurrency: 16,
  };
}
