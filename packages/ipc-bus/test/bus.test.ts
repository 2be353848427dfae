import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode, isSymphonyError } from '@symphony/types';
import { BusClient, RingChannel, workerEndpoint } from '../src/index.js';
import { FAULTY, codeOf } from './helpers.js';

let workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  workers = [];
});

async function connect(options: ConstructorParameters<typeof BusClient>[1] = {}) {
  const worker = new Worker(FAULTY, { env: { ...process.env, MAX_PAYLOAD: '100000' } });
  workers.push(worker);
  const client = new BusClient(workerEndpoint(worker), { peer: 'test.worker', ...options });
  await client.ready;
  return { worker, client };
}

describe('BusClient over a worker thread', () => {
  it('calls methods and gets replies', async () => {
    const { client } = await connect();
    expect(await client.call('echo', { a: [1, 2, { b: 'c' }] })).toEqual({ a: [1, 2, { b: 'c' }] });
    expect(await client.call('add', { a: 2, b: 3 })).toBe(5);
  });

  it('keeps code, message and the remote stack of a thrown error', async () => {
    const { client } = await connect();
    const error: any = await client.call('throws').catch((e: any) => e);
    expect(isSymphonyError(error)).toBe(true);
    expect(error.code).toBe('E_ROW_INVALID');
    expect(error.message).toBe('bad input row 3');
    expect(error.stack).toContain('faulty.mjs');
    expect(error.details).toMatchObject({ extensionId: 'test.worker', method: 'throws' });
  });

  it('rejects an unknown method at once with E_METHOD_UNKNOWN', async () => {
    const { client } = await connect();
    const error: any = await client.call('nope').catch((e: any) => e);
    expect(hasErrorCode(error, 'E_METHOD_UNKNOWN')).toBe(true);
    expect(error.details.methods).toContain('echo');
  });

  it('times out with E_TIMEOUT and aborts the handler', async () => {
    const { client } = await connect();
    expect(await codeOf(client.call('slow', { ms: 5_000 }, { timeoutMs: 50 }))).toBe('E_TIMEOUT');
    // The handler saw its signal abort, so the extension is free and answers at once.
    expect(await client.call('echo', 1)).toBe(1);
  });

  it('cancels through an AbortSignal on both sides', async () => {
    const { client } = await connect();
    const controller = new AbortController();
    const call = client.call('slow', { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('user pressed stop')), 20);
    const error: any = await call.catch((e: any) => e);
    expect(error.code).toBe('E_ABORTED');
    expect(error.message).toContain('user pressed stop');
    expect(await codeOf(client.call('echo', 1, { signal: AbortSignal.abort() }))).toBe('E_ABORTED');
  });

  it('caps payloads in both directions with E_PAYLOAD_TOO_LARGE', async () => {
    const { client } = await connect({ maxPayloadBytes: 1_000 });
    expect(await codeOf(client.call('echo', 'x'.repeat(2_000)))).toBe('E_PAYLOAD_TOO_LARGE');
    // The extension's own cap (100,000 bytes) refuses an oversized result.
    const error: any = await client.call('big', { size: 200_000 }).catch((e: any) => e);
    expect(error.code).toBe('E_PAYLOAD_TOO_LARGE');
    expect(await client.call('echo', 'ok')).toBe('ok');
  });

  it('moves ArrayBuffers without a copy both ways', async () => {
    const { client } = await connect();
    const buf = new Uint8Array(1_000).fill(2).buffer;
    expect(await client.call('sum', buf, { transfer: [buf] })).toBe(2_000);
    expect(buf.byteLength).toBe(0); // detached: it was moved, not copied
    const back = (await client.call('bytes', { size: 64 })) as ArrayBuffer;
    expect(new Uint8Array(back)[63]).toBe(7);
  });

  it('delivers progress to the caller, and events and logs to the host', async () => {
    const { client } = await connect();
    const progress: Array<[number, string | undefined]> = [];
    const events: unknown[] = [];
    const logs: string[] = [];
    client.on('event', (name, payload) => events.push([name, payload]));
    client.on('log', (_level, message) => logs.push(message));
    expect(await client.call('progress', { steps: 4 }, { onProgress: (f, m) => progress.push([f, m]) })).toBe(4);
    expect(progress).toEqual([[0.25, 'step 1'], [0.5, 'step 2'], [0.75, 'step 3'], [1, 'step 4']]);
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([['finished', { steps: 4 }]]);
    expect(logs).toEqual(['progress done']);
  });

  it('bounds calls in flight: callers wait in line, and all finish', async () => {
    const { client } = await connect({ maxInFlight: 2 });
    const calls = Array.from({ length: 10 }, (_, i) => client.call('slow', { ms: 5 }).then(() => i));
    expect(client.inFlight).toBe(10);
    expect((client as any).pending.size).toBe(2);
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(client.inFlight).toBe(0);
  });

  it('rejects every pending call with E_EXTENSION_CRASHED the moment the worker dies', async () => {
    const { client, worker } = await connect();
    const calls = [client.call('slow', { ms: 5_000 }), client.call('slow', { ms: 5_000 }), client.call('exit')];
    const codes = await Promise.all(calls.map(codeOf));
    expect(codes).toEqual(['E_EXTENSION_CRASHED', 'E_EXTENSION_CRASHED', 'E_EXTENSION_CRASHED']);
    expect(await codeOf(client.call('echo', 1))).toBe('E_EXTENSION_CRASHED');
    await worker.terminate();
  });

  it('batches pipelined calls into frames of up to 16 messages', async () => {
    const { client, worker } = await connect();
    let frames = 0;
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (value: unknown, transfer?: any) => {
      frames++;
      post(value, transfer);
    };
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => client.call('add', { a: i, b: 1 })));
    expect(results[63]).toBe(64);
    expect(frames).toBe(4); // 16 messages a frame (FLUSH_MESSAGES), not one postMessage per call
  });

  it('sends a frame early once it holds about a MiB, so batches stay bounded', async () => {
    const { client, worker } = await connect({ maxPayloadBytes: 10_000_000 });
    const sizes: number[] = [];
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (value: unknown, transfer?: any) => {
      sizes.push((value as unknown[]).length);
      post(value, transfer);
    };
    const big = () => new Uint8Array(600_000).fill(1).buffer;
    const sums = await Promise.all([client.call('echo', 1), client.call('sum', big()), client.call('sum', big()), client.call('sum', big())]);
    expect(sums).toEqual([1, 600_000, 600_000, 600_000]);
    expect(sizes).toEqual([2, 1, 1]);
  });

  it('streams through a shared-memory ring handed over in a call', async () => {
    const { client } = await connect();
    const ring = new RingChannel<string>(256); // small: the extension must wait for the host to read
    const call = client.call('tokens', { ring: ring.buffer, count: 300 });
    const tokens: string[] = [];
    while (tokens.length < 300) tokens.push((await ring.receiveAsync(5_000))!);
    expect(await call).toBe(300);
    expect(tokens[0]).toBe('tok0');
    expect(tokens[299]).toBe('tok299');
  });
});
