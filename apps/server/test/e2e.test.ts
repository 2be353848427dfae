import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serve } from '../src/index.js';
import { realKernel, switches, threeSteps } from './real-kernel.js';

let ctx: { url: string; home: string; token: string; reader: string; close(): Promise<void> };
beforeAll(async () => {
  const home = mkdtempSync(join(tmpdir(), 'symphony-serve-'));
  const { kernel } = await realKernel(home);
  const server = await serve({ kernel, home, port: 0 });
  const { token } = await server.tokens.create('e2e', ['admin']);
  const reader = (await server.tokens.create('reader', ['read'])).token;
  ctx = { url: server.url, home, token, reader, close: () => server.close() };
});
afterAll(() => ctx.close());

const auth = () => ({ authorization: `Bearer ${ctx.token}`, 'content-type': 'application/json' });
const get = async (path: string): Promise<any> => (await fetch(`${ctx.url}${path}`, { headers: auth() })).json();

describe('the server over a real kernel, Conductor and LMDB store', () => {
  it('runs a submitted workflow, streams its events over WebSocket and SSE, and serves its artifacts', async () => {
    const res = await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow: threeSteps }) });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    // Recorded before the answer: a client can look it up at once.
    expect((await fetch(`${ctx.url}/runs/${runId}`, { headers: auth() })).status).toBe(200);

    const ws = new WebSocket(`${ctx.url.replace('http', 'ws')}/ws/runs`, { headers: auth() });
    const events: { seq: number; event: string; data: { stepId?: string } }[] = [];
    const ended = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        const msg = JSON.parse(String(m));
        if (msg.type !== 'event') return;
        events.push(msg);
        if (msg.event === 'run:end') resolve();
      }),
    );
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', runId, after: 0 }));
    await ended;
    ws.close();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.event === 'step:end').map((e) => e.data.stepId)).toEqual(['a', 'b', 'c']);

    const run = await get(`/runs/${runId}`);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s: { stepId: string }) => s.stepId)).toEqual(['a', 'b', 'c']);
    expect((await get('/runs')).runs.some((r: { runId: string }) => r.runId === runId)).toBe(true);
    // Pages: `offset` skips the newest runs, so every run in the home is reachable 1,000 at a time.
    const all = ((await get('/runs?limit=1000')) as { runs: Array<{ runId: string }> }).runs.map((r) => r.runId);
    const paged: string[] = [];
    for (let offset = 0; offset < all.length; offset += 1) paged.push(...((await get(`/runs?limit=1&offset=${offset}`)) as { runs: Array<{ runId: string }> }).runs.map((r) => r.runId));
    expect(paged).toEqual(all);
    expect(((await get(`/runs?offset=${all.length}`)) as { runs: unknown[] }).runs).toEqual([]);

    const sse = await (await fetch(`${ctx.url}/runs/${runId}/events?after=0`, { headers: auth() })).text();
    expect(sse.match(/^event: /gm)?.length).toBe(events.length);
    expect(sse).toContain('event: run:end');

    const output = run.steps.find((st: { stepId: string }) => st.stepId === 'c').output as { name: string; version: number; hash: string };
    const { artifacts } = await get(`/artifacts?prefix=${encodeURIComponent(output.name)}`);
    const c = artifacts.find((a: { name: string }) => a.name === output.name);
    expect(c).toMatchObject({ hash: output.hash });
    const body = await fetch(`${ctx.url}/artifacts/${encodeURIComponent(output.name)}/versions/${output.version}`, { headers: auth() });
    expect(body.status).toBe(200);
    expect(body.headers.get('x-artifact-hash')).toBe(output.hash);
    expect(await body.text()).toContain('hello');
  });

  it('public event payloads carry no error stack: SSE, WebSocket, the NDJSON log and GET /runs/:id', async () => {
    const workflow = { name: 'fails', steps: [{ id: 'f', uses: 'test.steps/fail', retry: { count: 1, backoffMs: 1 } }] };
    const res = await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow }) });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const ws = new WebSocket(`${ctx.url.replace('http', 'ws')}/ws/runs`, { headers: auth() });
    const frames: string[] = [];
    const ended = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        frames.push(String(m));
        const msg = JSON.parse(String(m));
        if (msg.type === 'event' && msg.event === 'run:end') resolve();
      }),
    );
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', runId, after: 0 }));
    await ended;
    ws.close();
    const sse = await (await fetch(`${ctx.url}/runs/${runId}/events?after=0`, { headers: auth() })).text();
    expect(sse).toContain('event: step:retry');
    expect(sse).toContain('test step failed on purpose');
    expect(sse).not.toContain('"stack"');
    expect(frames.join('\n')).toContain('step:retry');
    expect(frames.join('\n')).not.toContain('"stack"');
    expect(readFileSync(join(ctx.home, 'server', 'events', `${runId}.ndjson`), 'utf8')).not.toContain('"stack"');
    const run = await (await fetch(`${ctx.url}/runs/${runId}`, { headers: auth() })).text();
    expect(run).toContain('test step failed on purpose');
    expect(run).not.toContain('"stack"');
  });

  it('rejects an invalid workflow with the problem paths', async () => {
    const res = await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow: { name: 'x', steps: [{ id: 'a', uses: 'nope' }] } }) });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; issues: { path: string }[] };
    expect(problem.code).toBe('E_WORKFLOW_INVALID');
    expect(problem.issues[0]?.path).toBe('steps[0].uses');
  });

  it('validates the whole workflow, uses: against the installed extensions, before any run exists', async () => {
    const before = (await get('/runs')).runs.length;
    const workflow = {
      name: 'bad',
      steps: [
        { id: 'a', uses: 'test.steps/ecoh' },
        { id: 'b', uses: 'test.steps/echo', needs: ['a'], if: '${{ steps.a.outcome = 1 }}', with: { x: '${{ steps.c.output }}' } },
      ],
    };
    const res = await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow }) });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as { code: string; diagnostics: Array<Record<string, unknown>> };
    expect(problem.code).toBe('E_WORKFLOW_INVALID');
    expect(problem.diagnostics.map((d) => [d.stepId, d.path, d.line, d.suggestion])).toEqual([
      ['a', 'steps[0].uses', 6, 'test.steps/echo'],
      ['b', 'steps[1].if', 14, undefined],
      ['b', 'steps[1].with.x', 16, undefined],
    ]);
    // Every problem at once; with the expressions fixed, the unknown method alone remains.
    workflow.steps[1] = { id: 'b', uses: 'test.steps/echo', needs: ['a'] } as never;
    const again = await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow }) });
    const second = (await again.json()) as { diagnostics: Array<Record<string, unknown>> };
    expect(second.diagnostics).toEqual([
      { file: 'body.workflow', line: 6, column: 15, stepId: 'a', path: 'steps[0].uses', message: 'extension "test.steps" has no method "ecoh" (did you mean "test.steps/echo"?)', suggestion: 'test.steps/echo' },
    ]);
    expect((await get('/runs')).runs.length).toBe(before);
  });

  it('serves health, readiness, metrics and policies', async () => {
    expect((await fetch(`${ctx.url}/health`)).status).toBe(200);
    expect((await get('/policies')).current.source).toBe('heuristic');
    const metrics = await (await fetch(`${ctx.url}/metrics`, { headers: auth() })).text();
    expect(metrics).toMatch(/# TYPE \w+/);
  });

  it('re-runs a failed run from its failed step: a new run, the succeeded steps carried over, who started each run kept', { timeout: 120_000 }, async () => {
    // A bound on waiting (several runs and a scrypt login on a loaded 2-core machine), not a timing assertion.
    const until = async (runId: string) => {
      for (const end = Date.now() + 60_000; Date.now() < end; ) {
        const run = await get(`/runs/${runId}`);
        if (run.status !== 'running') return run;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`run ${runId} did not end`);
    };
    switches.broken = true;
    const workflow = { name: 'gated', steps: [{ id: 'a', uses: 'test.steps/echo', with: { n: 1 } }, { id: 'b', uses: 'test.steps/switch', needs: ['a'], with: { x: '${{ steps.a.output.n }}' } }, { id: 'c', uses: 'test.steps/echo', needs: ['b'] }] };
    const { runId } = (await (await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow }) })).json()) as { runId: string };
    const failed = await until(runId);
    expect(failed).toMatchObject({ status: 'failed', startedBy: 'token:e2e', source: 'api', error: { stepId: 'b' } });
    const rerun = (from?: unknown, id = runId, headers: Record<string, string> = auth()) => fetch(`${ctx.url}/runs/${id}/rerun`, { method: 'POST', headers, body: JSON.stringify(from === undefined ? {} : { from }) });
    // A read token may watch, not re-run; a step that does not exist, or a malformed one, is 400; an unknown run 404.
    expect((await rerun('failed', runId, { authorization: `Bearer ${ctx.reader}`, 'content-type': 'application/json' })).status).toBe(403);
    expect((await rerun('zz')).status).toBe(400);
    expect((await rerun('../b')).status).toBe(400);
    expect((await rerun('failed', 'run-unknown')).status).toBe(404);
    switches.broken = false;
    // From a web session: the CSRF token is needed, and the run names the token the session logged in with.
    const login = await fetch(`${ctx.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ctx.token }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { csrf } = (await login.json()) as { csrf: string };
    expect((await rerun('failed', runId, { cookie, 'content-type': 'application/json' })).status).toBe(403);
    const res = await rerun('failed', runId, { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' });
    expect(res.status).toBe(202);
    const again = await until(((await res.json()) as { runId: string }).runId);
    expect(again).toMatchObject({ status: 'succeeded', rerunOf: runId, rerunFrom: 'failed', startedBy: 'token:e2e', source: 'api' });
    expect(again.steps.map((st: { reusedFrom?: string }) => st.reusedFrom ?? null)).toEqual([runId, null, null]);
    // The runs list shows the same: where each run came from and what it re-runs (outsider attack on issue 18).
    const listed = ((await get('/runs')) as { runs: Array<{ runId: string }> }).runs;
    expect(listed.find((r) => r.runId === again.runId)).toMatchObject({ source: 'api', rerunOf: runId, rerunFrom: 'failed', startedBy: 'token:e2e' });
    expect(listed.find((r) => r.runId === runId)).toMatchObject({ source: 'api' });
    // Nothing failed in the re-run: "the failed steps" is 409, the whole run is fine.
    expect((await rerun('failed', again.runId)).status).toBe(409);
    const all = await rerun(undefined, again.runId);
    expect(all.status).toBe(202);
    expect((await until(((await all.json()) as { runId: string }).runId)).steps.every((st: { reusedFrom?: string }) => !st.reusedFrom)).toBe(true);
    // No body at all is `from: all`, like `{}` (outsider attack on issue 18).
    const bare = await fetch(`${ctx.url}/runs/${again.runId}/rerun`, { method: 'POST', headers: { authorization: auth().authorization! } });
    expect(bare.status).toBe(202);
    expect(await until(((await bare.json()) as { runId: string }).runId)).toMatchObject({ rerunOf: again.runId, rerunFrom: 'all' });
    // A run still running cannot be re-run (cancel it first).
    const slow = (await (await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow: { name: 'slow', steps: [{ id: 'w', uses: 'test.steps/wait', with: { ms: 5000 } }] } }) })).json()) as { runId: string };
    expect((await rerun(undefined, slow.runId)).status).toBe(409);
    await fetch(`${ctx.url}/runs/${slow.runId}/cancel`, { method: 'POST', headers: auth() });
    expect((await until(slow.runId)).status).toBe('cancelled');
  });

  it('POST /runs/:id/cancel twice keeps the cleanup running; { force: true } aborts it (GitHub\'s force-cancel)', async () => {
    const wf = { name: 'force', steps: [{ id: 'w', uses: 'test.steps/wait', with: { ms: 20_000 } }, { id: 't', uses: 'test.steps/wait', needs: ['w'], if: 'always()', with: { ms: 20_000 } }] };
    const { runId } = (await (await fetch(`${ctx.url}/runs`, { method: 'POST', headers: auth(), body: JSON.stringify({ workflow: wf }) })).json()) as { runId: string };
    const stepState = async (id: string) => ((await get(`/runs/${runId}`)) as { steps: Array<{ stepId: string; state: string }> }).steps.find((st) => st.stepId === id)?.state;
    const cancel = (body?: unknown) => fetch(`${ctx.url}/runs/${runId}/cancel`, { method: 'POST', headers: auth(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    for (let i = 0; i < 100 && (await stepState('w')) !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await cancel()).status).toBe(200);
    // Bounded: the cleanup step starts once w's abort is recorded.
    for (let i = 0; i < 100 && (await stepState('t')) !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stepState('t')).toBe('running');
    // A retried request (or a second user) changes nothing: the cleanup goes on.
    expect((await cancel({})).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await stepState('t')).toBe('running');
    expect((await cancel({ force: 'yes' })).status).toBe(400);
    expect((await cancel({ force: true })).status).toBe(200);
    let run: { status: string } = { status: 'running' };
    for (let i = 0; i < 100 && run.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      run = (await get(`/runs/${runId}`)) as { status: string };
    }
    expect(run.status).toBe('cancelled');
  });

  it('404s unknown runs and artifacts', async () => {
    expect((await fetch(`${ctx.url}/runs/run-unknown`, { headers: auth() })).status).toBe(404);
    expect((await fetch(`${ctx.url}/runs/run-unknown/cancel`, { method: 'POST', headers: auth() })).status).toBe(404);
    expect((await fetch(`${ctx.url}/artifacts/nope/versions/1`, { headers: auth() })).status).toBe(404);
  });
});
