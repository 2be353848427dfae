// Attacks by an outsider holding only a `run` token, found after issue 15 was merged: inputs named
// after Object.prototype members passed the "unknown inputs are 400" check, and a failed step's
// stored error (with its stack and causes) was served as is, naming the host's absolute paths,
// and one socket of a `read` token could follow any number of runs (a listener each: unbounded memory).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serve } from '../src/index.js';
import { demoRepo, embeddedKernel } from './web-kernel.js';

let server: Awaited<ReturnType<typeof serve>>;
let runToken: string;
const dirs: string[] = [];
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  const workspace = demoRepo();
  const home = mkdtempSync(join(tmpdir(), 'symphony-outsider-home-'));
  const workflows = mkdtempSync(join(tmpdir(), 'symphony-outsider-workflows-'));
  dirs.push(workspace, home, workflows);
  writeFileSync(join(workflows, 'probe.yaml'), [
    'name: probe',
    'inputs:',
    '  path: { type: string, default: "src/hot.js" }',
    'steps:',
    '  - id: read',
    '    uses: symphony.files/read',
    '    with: { path: "${{ inputs.path }}" }',
  ].join('\n'));
  process.env.SYMPHONY_WORKSPACE = workspace;
  const kernel = await embeddedKernel(home);
  server = await serve({ kernel, home, port: 0, workflows: [workflows] });
  runToken = (await server.tokens.create('runner', ['run'])).token;
}, 60_000);

afterAll(async () => {
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const headers = () => ({ authorization: `Bearer ${runToken}`, ...json });
const start = (inputs: unknown) => fetch(`${server.url}/runs`, { method: 'POST', headers: headers(), body: JSON.stringify({ workflowName: 'probe', inputs }) });

describe('a run token against the server', { timeout: 30_000 }, () => {
  it.each(['constructor', 'toString', 'hasOwnProperty'])('an undeclared input named %s is 400, like any unknown input', async (name) => {
    const res = await start({ [name]: 'x' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'E_INPUT_INVALID', issues: [{ path: `inputs.${name}` }] });
  });

  it('a "__proto__" key anywhere in a JSON body is 400, never a prototype for the inputs', async () => {
    // Sent as raw text: JSON.parse makes "__proto__" an own key, as a hostile client means it.
    for (const inputs of ['{"__proto__":{"path":"/etc/shadow"}}', '{"__proto__":"x"}']) {
      const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: headers(), body: `{"workflowName":"probe","inputs":${inputs}}` });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'E_INPUT_INVALID' });
    }
  });

  it("a failed run's error is served without stack traces or the host's source paths (REST and SSE)", async () => {
    const res = await start({ path: 'no/such/file.txt' });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    let run: { status: string } = { status: 'running' };
    for (let i = 0; i < 600 && run.status === 'running'; i++) {
      run = (await (await fetch(`${server.url}/runs/${runId}`, { headers: headers() })).json()) as { status: string };
      if (run.status === 'running') await new Promise((r) => setTimeout(r, 50));
    }
    expect(run.status).toBe('failed');
    const bodies = [
      JSON.stringify(run),
      await (await fetch(`${server.url}/runs`, { headers: headers() })).text(),
      await (await fetch(`${server.url}/runs/${runId}/events`, { headers: headers() })).text(), // ends at run:end
    ];
    expect(bodies[0]).toContain('E_NOT_FOUND');
    expect(bodies[2]).toContain('E_NOT_FOUND');
    for (const body of bodies) {
      expect(body).not.toContain('"stack"');
      expect(body).not.toContain('file://');
    }
  });

  it('one socket follows at most 1,000 runs; the next subscribe is refused with a code, the socket stays usable', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/runs`, { headers: { authorization: `Bearer ${runToken}` } });
    const messages: Array<{ type: string; code?: string }> = [];
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    for (let i = 0; i < 1001; i++) ws.send(JSON.stringify({ type: 'subscribe', runId: `run-none-${i}`, after: 0 }));
    ws.send(JSON.stringify({ type: 'ping' }));
    for (let i = 0; i < 400 && !messages.some((m) => m.type === 'pong'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(messages.filter((m) => m.type === 'subscribed')).toHaveLength(1000);
    expect(messages.filter((m) => m.type === 'error')).toEqual([expect.objectContaining({ code: 'E_RATE_LIMITED' })]);
    ws.send(JSON.stringify({ type: 'unsubscribe', runId: 'run-none-0' }));
    ws.send(JSON.stringify({ type: 'subscribe', runId: 'run-none-1000', after: 0 }));
    for (let i = 0; i < 400 && messages.filter((m) => m.type === 'subscribed').length < 1001; i++) await new Promise((r) => setTimeout(r, 25));
    expect(messages.filter((m) => m.type === 'subscribed')).toHaveLength(1001);
    ws.close();
  });
});

