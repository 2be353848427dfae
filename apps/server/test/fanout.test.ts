import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serve } from '../src/index.js';
import { realKernel } from './real-kernel.js';

const CLIENTS = 1000;

describe('WebSocket fan-out', () => {
  it(`${CLIENTS} concurrent clients each receive every event of a run, in order`, async () => {
    const home = mkdtempSync(join(tmpdir(), 'symphony-fanout-'));
    const { kernel, conductor } = await realKernel(home);
    const server = await serve({ kernel, home, port: 0, rateLimit: { perSecond: 1e6, burst: 1e6 } });
    const { token } = await server.tokens.create('fanout', ['read']);
    const wsUrl = `${server.url.replace('http', 'ws')}/ws/runs`;
    const workflow = { name: 'fanout', steps: Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, uses: 'test.steps/echo', with: { i }, ...(i ? { needs: [`s${i - 1}`] } : {}) })) };
    const handle = conductor.start(workflow);
    const runId = handle.runId;
    const clients: { ws: WebSocket; seqs: number[]; done: Promise<void> }[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
      const seqs: number[] = [];
      const done = new Promise<void>((resolve, reject) => {
        ws.on('message', (m) => {
          const msg = JSON.parse(String(m));
          if (msg.type === 'subscribed') ws.emit('subscribed');
          if (msg.type !== 'event') return;
          seqs.push(msg.seq);
          if (msg.event === 'run:end') resolve();
        });
        ws.on('error', reject);
      });
      clients.push({ ws, seqs, done });
    }
    await Promise.all(clients.map((c) => new Promise((r) => c.ws.once('open', r))));
    await Promise.all(
      clients.map((c) => {
        const subscribed = new Promise((r) => c.ws.once('subscribed', r));
        c.ws.send(JSON.stringify({ type: 'subscribe', runId, after: 0 }));
        return subscribed;
      }),
    );
    expect((await handle.done).status).toBe('succeeded');
    await Promise.all(clients.map((c) => c.done));
    // Every step's ready/start/end plus the run's start and end, all numbered in order.
    const total = server.events.since(runId, 0).length;
    expect(total).toBeGreaterThanOrEqual(20 * 3 + 2);
    const expected = Array.from({ length: total }, (_, i) => i + 1);
    const complete = clients.filter((c) => c.seqs.length === total && c.seqs.every((s, i) => s === expected[i])).length;
    expect(complete).toBe(CLIENTS);
    for (const c of clients) c.ws.close();
    await server.close();
  }, 120_000);
});
