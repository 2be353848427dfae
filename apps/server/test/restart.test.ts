import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TokenStore } from '../src/index.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const child = fileURLToPath(new URL('./fixtures/serve-child.ts', import.meta.url));

function startServer(home: string): Promise<{ proc: ChildProcess; url: string; resumed: string[] }> {
  const proc = fork(child, [home], { execArgv: ['--import', tsx], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ proc, ...JSON.parse(out.split('\n')[0]!) });
    });
    proc.on('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
}

const slowChain = {
  name: 'slow-chain',
  steps: Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, uses: 'test.steps/wait', with: { ms: 250 }, ...(i ? { needs: [`s${i - 1}`] } : {}) })),
};

type Msg = { type: string; seq: number; event: string; data: { stepId?: string; status?: string } };

describe('restarting the server mid-run', () => {
  it('resumes the checkpointed run, and a reconnecting client catches up on every event it missed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'symphony-restart-'));
    const { token } = await (await TokenStore.open(join(home, 'tokens.json'))).create('restart', ['admin']);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const first = await startServer(home);
    const { runId } = (await (await fetch(`${first.url}/runs`, { method: 'POST', headers, body: JSON.stringify({ workflow: slowChain }) })).json()) as { runId: string };
    const seen: Msg[] = [];
    const ws = new WebSocket(`${first.url.replace('http', 'ws')}/ws/runs`, { headers });
    await new Promise((r) => ws.on('open', r));
    const twoDone = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        const msg = JSON.parse(String(m)) as Msg;
        if (msg.type !== 'event') return;
        seen.push(msg);
        if (seen.filter((e) => e.event === 'step:end').length === 2) resolve();
      }),
    );
    ws.send(JSON.stringify({ type: 'subscribe', runId, after: 0 }));
    await twoDone;
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    ws.terminate();

    const second = await startServer(home);
    try {
      expect(second.resumed).toContain(runId);
      const lastSeq = seen.at(-1)!.seq;
      const caughtUp: Msg[] = [];
      const ws2 = new WebSocket(`${second.url.replace('http', 'ws')}/ws/runs`, { headers });
      await new Promise((r) => ws2.on('open', r));
      const ended = new Promise<void>((resolve) =>
        ws2.on('message', (m) => {
          const msg = JSON.parse(String(m)) as Msg;
          if (msg.type !== 'event') return;
          caughtUp.push(msg);
          if (msg.event === 'run:end') resolve();
        }),
      );
      ws2.send(JSON.stringify({ type: 'subscribe', runId, after: lastSeq }));
      await ended;
      ws2.close();
      const all = [...seen, ...caughtUp];
      // Nothing missed, nothing twice: sequence numbers continue across the restart.
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
      expect(caughtUp.at(-1)!.data.status).toBe('succeeded');
      // Steps that finished before the crash never started again.
      const finishedBefore = seen.filter((e) => e.event === 'step:end').map((e) => e.data.stepId);
      const startedAfter = caughtUp.filter((e) => e.event === 'step:start').map((e) => e.data.stepId);
      for (const id of finishedBefore) expect(startedAfter).not.toContain(id);
      const ends = all.filter((e) => e.event === 'step:end').map((e) => e.data.stepId);
      expect(new Set(ends)).toEqual(new Set(slowChain.steps.map((s) => s.id)));
    } finally {
      second.proc.kill('SIGTERM');
      await new Promise((r) => second.proc.once('exit', r));
    }
  }, 60_000);
});
