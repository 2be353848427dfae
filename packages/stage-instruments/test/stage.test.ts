/**
 * The bundled instruments as Stage extensions, through the real `stage` service: discovered from
 * BUILTIN_INSTRUMENTS_DIR, run in a worker thread (trusted) or a child process, called by
 * `id/method` or `capability:`; chat tokens stream back through a shared-memory ring.
 */
import { existsSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import { stagePlugin } from '@symphony/extension-loader';
import { BUILTIN_INSTRUMENTS, BUILTIN_INSTRUMENTS_DIR, CLASSIFY_RISK, RISK_BANDS, callStreaming, generateRiskDataset, type ChatResult } from '../src/index.js';

type Classified = { model: string; results: { path?: string; band: string; probabilities: number[] }[] };

let kernel: Kernel;
let baseUrl = '';
/** Releases the held part of the `gated` stream; set by the test that waits on it. */
let releaseGate: () => void = () => {};
const gate = () => new Promise<void>((r) => (releaseGate = r));

const sse = (res: ServerResponse, t: string) => res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: t }, finish_reason: null }] })}\n\n`);
const server = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  const { model, messages } = JSON.parse(body) as { model: string; messages: { content: string }[] };
  if (req.headers.authorization !== 'Bearer sk-local') return void res.writeHead(401).end('{"error":"bad key"}');
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (model === 'gated') {
    // Three tokens, then nothing until the test has seen them on the host: proof they streamed.
    for (const t of ['one ', 'two ', 'three ']) sse(res, t);
    await gate();
    sse(res, 'four');
  } else if (model === 'script') {
    // The tokens to stream are the user's message, as a JSON array.
    for (const t of JSON.parse(messages.at(-1)!.content) as string[]) sse(res, t);
  } else if (model === 'long') {
    for (let i = 0; i < 2_000; i++) sse(res, `token-${String(i).padStart(4, '0')}-${'x'.repeat(80)}|`);
  }
  res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`);
  res.end('data: [DONE]\n\n');
});

beforeAll(async () => {
  if (!existsSync(join(BUILTIN_INSTRUMENTS_DIR, 'risk-mlp', 'symphony.extension.json'))) throw new Error(`build @symphony/stage-instruments first (${BUILTIN_INSTRUMENTS_DIR})`);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  // risk-mlp stays untrusted (a child process) to show both isolation modes serve the models.
  kernel = createKernel({ plugins: [stagePlugin], config: { pluginOptions: { stage: { dirs: [BUILTIN_INSTRUMENTS_DIR], trusted: ['symphony.risk-linear', 'symphony.chat'] } } } });
  await kernel.start();
});
afterAll(async () => {
  await kernel?.stop();
  await new Promise<void>((r) => server.close(() => r()));
});

const stage = () => kernel.service('stage');
const classify = (id: string, files: unknown[]) => stage().call(`${id}/classify`, { files }, { timeoutMs: 30_000 }) as Promise<Classified>;

describe('risk models as Stage extensions', () => {
  it('are discovered as instruments, and both offer classify-risk: two candidates for a capability step', () => {
    const listed = stage().list();
    for (const builtin of BUILTIN_INSTRUMENTS) {
      expect(listed.find((e) => e.id === builtin.id)).toMatchObject({ kind: 'instrument', methods: builtin.methods });
    }
    expect(listed.find((e) => e.id === 'symphony.risk-linear')).toMatchObject({ mode: 'worker' });
    expect(listed.find((e) => e.id === 'symphony.risk-mlp')).toMatchObject({ mode: 'process' });
    expect(stage().providers(CLASSIFY_RISK).map((p) => p.uses).sort()).toEqual(['symphony.risk-linear/classify', 'symphony.risk-mlp/classify']);
    // Their declared costs reach the Conductor through the providers list: linear is the cheaper.
    const cost = Object.fromEntries(stage().providers(CLASSIFY_RISK).map((p) => [p.id, (p as { cost?: number }).cost]));
    expect(cost).toEqual({ 'symphony.risk-linear': 0.2, 'symphony.risk-mlp': 0.5 });
  });

  it('classify held-out files; the MLP is the more accurate candidate, as its manifest says', async () => {
    const heldOut = generateRiskDataset(600, 7919);
    const files = heldOut.stats.map((s, i) => ({ ...s, path: `src/file-${i}.ts` }));
    const [linear, mlp] = await Promise.all([classify('symphony.risk-linear', files), classify('symphony.risk-mlp', files)]);
    const accuracy = (out: Classified) => out.results.filter((r, i) => r.band === RISK_BANDS[heldOut.labels[i]!]).length / files.length;
    expect(linear.model).toBe('risk-linear');
    expect(mlp.results[7]).toMatchObject({ path: 'src/file-7.ts', band: expect.stringMatching(/^(low|medium|high)$/) });
    expect(accuracy(linear)).toBeGreaterThan(0.7);
    expect(accuracy(mlp)).toBeGreaterThan(accuracy(linear));
  });

  it('answer a capability: call through the first provider', async () => {
    const out = (await stage().call(`capability:${CLASSIFY_RISK}`, { files: generateRiskDataset(3, 5).stats }, { timeoutMs: 30_000 })) as Classified;
    expect(out.results).toHaveLength(3);
  });

  it('refuse a malformed file with E_INPUT_INVALID naming the field', async () => {
    await expect(classify('symphony.risk-linear', [{ churn: 1, lines: 'many', complexity: 2, authors: 1, ageDays: 3 }])).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringContaining('files[0].lines'),
    });
  });
});

describe('symphony.chat streams tokens to the host through the shared-memory ring', () => {
  const request = (model: string, apiKey = 'sk-local') => ({ baseUrl, model, apiKey, messages: [{ role: 'user', content: 'hi' }], backoffMs: 1 });

  it('delivers each token to the host while the completion is still running', async () => {
    const tokens: string[] = [];
    const result = await callStreaming<ChatResult>(stage(), 'symphony.chat/complete', request('gated'), {
      timeoutMs: 30_000,
      onToken: (t) => {
        tokens.push(t);
        if (tokens.length === 3) releaseGate();
      },
    });
    expect(tokens).toEqual(['one ', 'two ', 'three ', 'four']);
    expect(result).toMatchObject({ text: 'one two three four', tokens: 4, finishReason: 'stop' });
  });

  it('carries a stream many times the ring size in order (the writer waits for the reader)', async () => {
    const tokens: string[] = [];
    const result = await callStreaming<ChatResult>(stage(), 'symphony.chat/complete', request('long'), { ringBytes: 4096, timeoutMs: 30_000, onToken: (t) => tokens.push(t) });
    expect(tokens).toHaveLength(2_000);
    expect(tokens.every((t, i) => t.startsWith(`token-${String(i).padStart(4, '0')}-`))).toBe(true);
    expect(result.text).toBe(tokens.join(''));
  });

  it('property: any token sequence reaches the host intact and in order through a small ring', async () => {
    const token = fc.string({ unit: 'binary', minLength: 1, maxLength: 120 });
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 60 }), async (tokens) => {
        const seen: string[] = [];
        const ask = { ...request('script'), messages: [{ role: 'user', content: JSON.stringify(tokens) }] };
        const result = await callStreaming<ChatResult>(stage(), 'symphony.chat/complete', ask, { ringBytes: 512, timeoutMs: 30_000, onToken: (t) => seen.push(t) });
        expect(seen).toEqual(tokens);
        expect(result.text).toBe(tokens.join(''));
      }),
      { numRuns: 25 },
    );
  });

  it('a consumer whose onToken throws gets that error, and the call is cancelled', async () => {
    const boom = new Error('consumer gave up');
    await expect(
      callStreaming(stage(), 'symphony.chat/complete', request('long'), {
        ringBytes: 1024,
        onToken: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    // The extension is still healthy afterwards.
    const again = await callStreaming<ChatResult>(stage(), 'symphony.chat/complete', { ...request('script'), messages: [{ role: 'user', content: '["ok"]' }] }, { onToken: () => {} });
    expect(again.text).toBe('ok');
  });

  it('refuses, before calling, to stream from an extension in a child process (no shared memory)', async () => {
    const untrusted = createKernel({ plugins: [stagePlugin], config: { pluginOptions: { stage: { dirs: [BUILTIN_INSTRUMENTS_DIR] } } } });
    await untrusted.start();
    try {
      await expect(callStreaming(untrusted.service('stage'), 'symphony.chat/complete', request('gated'), { onToken: () => {} })).rejects.toMatchObject({
        code: 'E_INPUT_INVALID',
        details: { extensionId: 'symphony.chat', mode: 'process' },
      });
    } finally {
      await untrusted.stop();
    }
  });

  it('a refused key comes back as E_PERMISSION_DENIED through the bus', async () => {
    await expect(callStreaming(stage(), 'symphony.chat/complete', request('gated', 'sk-wrong'), { onToken: () => {} })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
  });
});
