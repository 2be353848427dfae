// What a token's scope allows, attacked through the real server over the CLI's embedded kernel
// (stage with the built-in file and git operators in workers, the Conductor, LMDB): a `run`
// token reaching for code execution, token files, the home or other repositories, and web UI
// events under each scope. The home lies outside the workspace, as `symphony serve` sets it up.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { serve, tokensCommand } from '../src/index.js';
import { demoRepo, embeddedKernel, ensureWebBuilt, EXAMPLE_WORKFLOW } from './web-kernel.js';

let server: Awaited<ReturnType<typeof serve>>;
let home: string;
let workspace: string;
let outside: string;
let tokens: Record<'read' | 'run' | 'admin', string>;
const dirs: string[] = [];
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  ensureWebBuilt();
  workspace = demoRepo();
  outside = demoRepo();
  home = mkdtempSync(join(tmpdir(), 'symphony-attack-home-'));
  const workflows = mkdtempSync(join(tmpdir(), 'symphony-attack-workflows-'));
  dirs.push(workspace, outside, home, workflows);
  // Configured workflows whose inputs are paths: what a `run` token may start.
  writeFileSync(join(workflows, 'probe.yaml'), [
    'name: probe',
    'inputs:',
    '  path: { type: string, default: "src/hot.js" }',
    'steps:',
    '  - id: read',
    '    uses: symphony.files/read',
    '    with: { path: "${{ inputs.path }}" }',
  ].join('\n'));
  writeFileSync(join(workflows, 'history.yaml'), [
    'name: history',
    'inputs:',
    '  repo: { type: string, default: "." }',
    'steps:',
    '  - id: log',
    '    uses: symphony.git/log',
    '    with: { repo: "${{ inputs.repo }}", maxCount: 5 }',
  ].join('\n'));
  process.env.SYMPHONY_WORKSPACE = workspace;
  const kernel = await embeddedKernel(home);
  server = await serve({ kernel, home, port: 0, web: {}, workflows: [workflows, EXAMPLE_WORKFLOW] });
  tokens = {
    read: (await server.tokens.create('reader', ['read'])).token,
    run: (await server.tokens.create('runner', ['run'])).token,
    admin: (await server.tokens.create('admin', ['admin'])).token,
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const runCount = async () => ((await (await fetch(`${server.url}/runs`, { headers: bearer(tokens.admin) })).json()) as { runs: unknown[] }).runs.length;

async function runToEnd(runId: string): Promise<Record<string, unknown> & { status: string }> {
  for (let i = 0; i < 1200; i++) {
    const run = (await (await fetch(`${server.url}/runs/${runId}`, { headers: bearer(tokens.admin) })).json()) as { status: string };
    if (run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not end`);
}

async function login(token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ token }) });
  expect(res.status).toBe(200);
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: ((await res.json()) as { csrf: string }).csrf };
}

/** The web UI's socket for a session cookie, recording every message. */
async function uiSocket(cookie: string) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, { headers: { cookie, origin: server.url } });
  const messages: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (raw) => {
    messages.push(JSON.parse(String(raw)));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const next = async (pred: (m: Record<string, any>) => boolean, from = 0) => {
    for (let i = 0; i < 200; i++) {
      const found = messages.slice(from).find(pred);
      if (found) return found;
      await new Promise<void>((resolve) => (waiters.push(resolve), setTimeout(resolve, 100)));
    }
    throw new Error(`no matching message; got ${messages.map((m) => m.t).join(', ')}`);
  };
  return { ws, messages, next, send: (m: unknown) => ws.send(JSON.stringify(m)) };
}

describe('a `run` token cannot reach code execution', () => {
  const documents = {
    'writes a git filter into .git/config': {
      name: 'pwn',
      steps: [
        { id: 'cfg', uses: 'symphony.files/write', with: { path: '.git/config', content: '[filter "pwn"]\n\tclean = sh -c "id > /tmp/pwned"\n' } },
        { id: 'run', uses: 'symphony.git/status', needs: ['cfg'], with: { repo: '.' } },
      ],
    },
    'reads the token store': { name: 'steal', steps: [{ id: 'read', uses: 'symphony.files/read', with: { path: '.symphony/tokens.json' } }] },
  };

  for (const [what, workflow] of Object.entries(documents)) {
    it(`a workflow document that ${what} is refused (403) for run, by token and by web session; nothing runs`, async () => {
      const before = await runCount();
      const byToken = await fetch(`${server.url}/runs`, { method: 'POST', headers: { ...bearer(tokens.run), ...json }, body: JSON.stringify({ workflow }) });
      expect(byToken.status).toBe(403);
      expect(await byToken.json()).toMatchObject({ code: 'E_FORBIDDEN' });
      const { cookie, csrf } = await login(tokens.run);
      const bySession = await fetch(`${server.url}/runs`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, ...json }, body: JSON.stringify({ workflow }) });
      expect(bySession.status).toBe(403);
      expect(await runCount()).toBe(before);
      expect(readFileSync(join(workspace, '.git', 'config'), 'utf8')).not.toContain('pwn');
    });
  }

  it('an admin may submit a document (the scope decides, not a blanket ban)', async () => {
    const workflow = { name: 'adhoc', steps: [{ id: 'read', uses: 'symphony.files/read', with: { path: 'src/hot.js' } }] };
    const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { ...bearer(tokens.admin), ...json }, body: JSON.stringify({ workflow }) });
    expect(res.status).toBe(202);
    expect((await runToEnd(((await res.json()) as { runId: string }).runId)).status).toBe('succeeded');
  });

  it('a configured workflow started with `run` reads inside the workspace', async () => {
    const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { ...bearer(tokens.run), ...json }, body: JSON.stringify({ workflowName: 'probe', inputs: {} }) });
    expect(res.status).toBe(202);
    expect((await runToEnd(((await res.json()) as { runId: string }).runId)).status).toBe('succeeded');
  });

  it("its path inputs cannot reach the home, the token file or another repository: the run fails with E_PERMISSION_DENIED and leaks nothing", async () => {
    const stored = JSON.parse(readFileSync(join(home, 'tokens.json'), 'utf8')) as { tokens: Array<{ hash: string; salt: string }> };
    const attempts: Array<[string, Record<string, string>]> = [
      ['probe', { path: join(home, 'tokens.json') }],
      ['probe', { path: `../${basename(home)}/tokens.json` }],
      ['probe', { path: join(home, 'server', 'session.key') }],
      ['history', { repo: outside }],
      ['history', { repo: `../${basename(outside)}` }],
    ];
    for (const [workflowName, inputs] of attempts) {
      const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { ...bearer(tokens.run), ...json }, body: JSON.stringify({ workflowName, inputs }) });
      expect(res.status, JSON.stringify(inputs)).toBe(202);
      const run = await runToEnd(((await res.json()) as { runId: string }).runId);
      expect(run.status, JSON.stringify(inputs)).toBe('failed');
      const text = JSON.stringify(run);
      expect(text).toContain('E_PERMISSION_DENIED');
      for (const t of stored.tokens) expect(text).not.toContain(t.hash);
    }
    // Nothing from the home became an artifact either.
    const artifacts = await (await fetch(`${server.url}/artifacts?limit=1000`, { headers: bearer(tokens.read) })).text();
    for (const t of stored.tokens) expect(artifacts).not.toContain(t.salt);
  });

  it('inputs a configured workflow does not declare are refused', async () => {
    const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { ...bearer(tokens.run), ...json }, body: JSON.stringify({ workflowName: 'probe', inputs: { steps: 'x' } }) });
    expect(res.status).toBe(400);
  });
});

describe('web UI events go through the same scopes as the REST API', () => {
  const TARGET = 'symphony.risk-mlp';

  async function propose(scope: 'read' | 'run' | 'admin', enabled: boolean) {
    const { cookie } = await login(tokens[scope]);
    const ui = await uiSocket(cookie);
    ui.send({ t: 'sync.hello' });
    const snap = await ui.next((m) => m.t === 'sync.snapshot');
    const index = (snap.state.extensions as Array<{ id: string }>).findIndex((e) => e.id === TARGET);
    expect(index).toBeGreaterThanOrEqual(0);
    ui.send({ t: 'sync.propose', id: `p-${scope}`, base: snap.rev, ops: [{ op: 'replace', path: `/extensions/${index}/enabled`, value: enabled }] });
    const answer = await ui.next((m) => (m.t === 'sync.reject' || m.t === 'sync.patch') && m.id === `p-${scope}`);
    ui.ws.close();
    return { answer, snapshot: snap };
  }
  const stageState = async () =>
    ((await (await fetch(`${server.url}/extensions`, { headers: bearer(tokens.admin) })).json()) as { extensions: Array<{ id: string; state: string }> }).extensions.find((e) => e.id === TARGET)?.state;

  it('a read or run session cannot disable an extension over the socket (as POST /extensions/:id/disable is 403)', async () => {
    for (const scope of ['read', 'run'] as const) {
      const { cookie, csrf } = await login(tokens[scope]);
      expect((await fetch(`${server.url}/extensions/${TARGET}/disable`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })).status).toBe(403);
      const { answer } = await propose(scope, false);
      expect(answer).toMatchObject({ t: 'sync.reject', code: 'E_PERMISSION_DENIED' });
      expect(answer.message).toContain('admin');
      expect(await stageState()).not.toBe('disabled');
    }
  });

  it('an admin session can, and the stage follows', async () => {
    const { answer } = await propose('admin', false);
    expect(answer.t).toBe('sync.patch');
    for (let i = 0; i < 100 && (await stageState()) !== 'disabled'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stageState()).toBe('disabled');
    expect((await propose('admin', true)).answer.t).toBe('sync.patch');
    for (let i = 0; i < 100 && (await stageState()) === 'disabled'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stageState()).not.toBe('disabled');
  });

  it('the theme is no shared state: no session can change it for others', async () => {
    const { cookie } = await login(tokens.admin);
    const ui = await uiSocket(cookie);
    ui.send({ t: 'sync.hello' });
    const snap = await ui.next((m) => m.t === 'sync.snapshot');
    expect(snap.state.ui).toBeUndefined();
    ui.send({ t: 'sync.propose', id: 'theme', base: snap.rev, ops: [{ op: 'add', path: '/ui', value: { theme: 'dark' } }] });
    expect(await ui.next((m) => m.t === 'sync.reject' && m.id === 'theme')).toMatchObject({ code: 'E_PERMISSION_DENIED' });
    ui.ws.close();
  });

  it('the selected run is per session: one session selecting a run leaves another session\'s view alone, and its handlers do not reach it', async () => {
    const started = await fetch(`${server.url}/runs`, { method: 'POST', headers: { ...bearer(tokens.run), ...json }, body: JSON.stringify({ workflowName: 'probe', inputs: {} }) });
    const { runId } = (await started.json()) as { runId: string };
    await runToEnd(runId);
    await server.web!.idle();
    const a = await uiSocket((await login(tokens.read)).cookie);
    const b = await uiSocket((await login(tokens.read)).cookie);
    const view = 'symphony.run-monitor:monitor';
    a.send({ t: 'view.open', extension: 'symphony.run-monitor', name: 'monitor' });
    b.send({ t: 'view.open', extension: 'symphony.run-monitor', name: 'monitor' });
    const snapA = await a.next((m) => m.t === 'view.snapshot' && m.view === view);
    const snapB = await b.next((m) => m.t === 'view.snapshot' && m.view === view);
    const handlerOf = (tree: unknown) => /"onRowClick":\{"\$handler":"([^"]+)"\}/.exec(JSON.stringify(tree))![1]!;

    // B tries A's handler on its own view: it is not B's, so it is stale, and nothing changes.
    const fromB = b.messages.length;
    b.send({ t: 'view.event', view, handler: handlerOf(snapA.tree), event: { type: 'click', value: runId } });
    expect(await b.next((m) => m.t === 'view.error', fromB)).toMatchObject({ code: 'E_VDOM_HANDLER_STALE' });

    a.send({ t: 'view.event', view, handler: handlerOf(snapA.tree), event: { type: 'click', value: runId } });
    const patch = await a.next((m) => m.t === 'view.patch' && m.view === view);
    expect(JSON.stringify(patch.patches)).toContain(`Run ${runId}`);

    const at = b.messages.length;
    b.send({ t: 'view.resync', view });
    const nowB = await b.next((m) => m.t === 'view.snapshot' && m.view === view, at);
    expect(JSON.stringify(nowB.tree)).not.toContain(`Run ${runId}`);
    expect(JSON.stringify(nowB.tree)).toBe(JSON.stringify(snapB.tree));
    a.ws.close();
    b.ws.close();
  });

  it('revoking the token behind a web session closes its UI socket at once', async () => {
    const lines: string[] = [];
    await tokensCommand(['create', '--scope', 'admin', '--name', 'short'], home, (l) => lines.push(l));
    const ui = await uiSocket((await login(lines[0]!)).cookie);
    const closed = new Promise<number>((resolve) => ui.ws.once('close', (code) => resolve(code)));
    await tokensCommand(['revoke', /^sym_([0-9a-f]{12})_/.exec(lines[0]!)![1]!], home, () => undefined);
    expect(await closed).toBe(4401);
  });
});
