import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatClient } from '../src/index.js';

/** A small OpenAI-compatible server on 127.0.0.1 whose behaviour each test scripts by model name. */
let baseUrl = '';
const hits = new Map<string, number>();
const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  const { model, messages } = JSON.parse(body) as { model: string; messages: { content: string }[] };
  const n = (hits.get(model) ?? 0) + 1;
  hits.set(model, n);
  if (req.headers.authorization !== 'Bearer sk-test') return void res.writeHead(401).end('{"error":"bad key"}');
  const stream = (tokens: string[], opts: { dropAfter?: number; malformed?: boolean } = {}) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const sent = opts.dropAfter === undefined ? tokens : tokens.slice(0, opts.dropAfter);
    for (const t of sent) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: t }, finish_reason: null }] })}\n\n`);
    // Let the written tokens reach the client, then cut the connection mid-stream.
    if (opts.dropAfter !== undefined) return void setTimeout(() => res.destroy(), 50);
    if (opts.malformed) res.write('data: {not json\n\n');
    res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
  };
  switch (model) {
    case 'echo':
      return stream(['you ', 'said: ', messages.at(-1)!.content]);
    case 'flaky':
      return n < 3 ? void res.writeHead(503).end('busy') : stream(['ok']);
    case 'limited':
      return n === 1 ? void res.writeHead(429, { 'retry-after': '0' }).end('slow down') : stream(['fine']);
    case 'slow':
      return void setTimeout(() => stream(['late']), 2_000);
    case 'broken-stream':
      return stream(['a', 'b', 'c', 'd'], { dropAfter: 2 });
    case 'malformed':
      return stream(['x'], { malformed: true });
    default:
      return void res.writeHead(404).end('no such model');
  }
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (model: string, extra = {}) => createChatClient({ baseUrl, apiKey: 'sk-test', model, backoffMs: 5, ...extra });
const ask = [{ role: 'user' as const, content: 'hello' }];

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('chat instrument client', () => {
  it('streams tokens in order and returns the whole text', async () => {
    const tokens: string[] = [];
    const result = await client('echo').complete({ messages: ask, onToken: (t) => tokens.push(t) });
    expect(tokens).toEqual(['you ', 'said: ', 'hello']);
    expect(result).toMatchObject({ text: 'you said: hello', finishReason: 'stop', tokens: 3, attempts: 1 });
  });

  it('retries 5xx with backoff, and honours Retry-After on 429', async () => {
    expect((await client('flaky').complete({ messages: ask })).attempts).toBe(3);
    expect((await client('limited').complete({ messages: ask })).text).toBe('fine');
  });

  it('gives up after its retry budget', async () => {
    hits.delete('flaky');
    const err = await failure(client('flaky', { retries: 1 }).complete({ messages: ask }));
    expect(err.code).toBe('E_UPSTREAM');
  });

  it('does not retry a refused key or an unknown model', async () => {
    const err = await failure(createChatClient({ baseUrl, apiKey: 'wrong', model: 'echo', backoffMs: 1 }).complete({ messages: ask }));
    expect(err.code).toBe('E_PERMISSION_DENIED');
    expect((await failure(client('ghost').complete({ messages: ask }))).code).toBe('E_UPSTREAM');
    expect(hits.get('ghost')).toBe(1);
  });

  it('times out and cancels with distinct codes', async () => {
    expect((await failure(client('slow', { timeoutMs: 100 }).complete({ messages: ask }))).code).toBe('E_TIMEOUT');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await failure(client('slow').complete({ messages: ask, signal: controller.signal }))).code).toBe('E_ABORTED');
  });

  it('never repeats tokens: a stream broken midway fails instead of retrying', async () => {
    const tokens: string[] = [];
    const err = await failure(client('broken-stream').complete({ messages: ask, onToken: (t) => tokens.push(t) }));
    expect(err.code).toBe('E_UPSTREAM');
    expect(tokens).toEqual(['a', 'b']);
    expect(hits.get('broken-stream')).toBe(1);
  });

  it('reports a malformed event', async () => {
    expect((await failure(client('malformed').complete({ messages: ask }))).code).toBe('E_UPSTREAM');
  });
});
