/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadWorkflowFile } from '@symphony/conductor';
import { findStepReferences, type Workflow } from '@symphony/types';
import { serve } from '../src/index.js';
import { chromiumArgs, demoRepo, embeddedKernel, ensureWebBuilt, EXAMPLE_WORKFLOW, findChromium } from './web-kernel.js';

const artifactsDir = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const executablePath = findChromium();
if (!executablePath) console.warn('[server] browser tests skipped: no Chromium at $CHROMIUM_PATH or /usr/bin/chromium (apt-get install -y chromium)');

let server: Awaited<ReturnType<typeof serve>>;
let home: string;
/** The example as it is on disk: its steps and the edges its expressions imply. */
let example: { workflow: Workflow; steps: string[]; edges: string[] };
let tokens: { run: string; read: string; script?: string };
let repo: string;
let kernel: Awaited<ReturnType<typeof embeddedKernel>>;
const dirs: string[] = [];

beforeAll(async () => {
  ensureWebBuilt();
  const workflow = await loadWorkflowFile(EXAMPLE_WORKFLOW);
  example = {
    workflow,
    steps: workflow.steps.map((st) => st.id),
    edges: workflow.steps.flatMap((st) => [...findStepReferences(st.with, new Set(st.needs ?? []))].map((from) => `${from}->${st.id}`)),
  };
  repo = demoRepo();
  home = mkdtempSync(join(tmpdir(), 'symphony-web-home-'));
  dirs.push(repo, home);
  // The operators' workspace (what files and git may touch), read by the extension workers.
  process.env.SYMPHONY_WORKSPACE = repo;
  kernel = await embeddedKernel(home);
  server = await serve({ kernel, home, port: 0, web: {}, workflows: [EXAMPLE_WORKFLOW] });
  tokens = { run: (await server.tokens.create('browser', ['run'])).token, read: (await server.tokens.create('reader', ['read'])).token };
  // A second run token, as a script would use (the runs it starts say so).
  tokens.script = (await server.tokens.create('runner', ['run'])).token;
}, 60_000);

afterAll(async () => {
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const wsOutcome = (url: string, headers: Record<string, string> = {}) =>
  new Promise<string>((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      // An accepted socket speaks the UI protocol: a state-sync hello gets the state snapshot.
      ws.send(JSON.stringify({ t: 'sync.hello' }));
      ws.on('message', (m) => {
        const message = JSON.parse(String(m)) as { t: string };
        if (message.t === 'sync.snapshot') (ws.close(), resolve('snapshot'));
      });
    });
    ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
    ws.on('error', () => resolve('error'));
  });

describe('the web UI protocol at /ws on the real server', () => {
  const wsUrl = () => `${server.url.replace('http', 'ws')}/ws`;

  it('refuses an upgrade without auth, with a bad token, or with a session cookie from another origin', async () => {
    expect(await wsOutcome(wsUrl())).toBe('refused 401');
    expect(await wsOutcome(wsUrl(), { authorization: `Bearer sym_000000000000_${'B'.repeat(43)}` })).toBe('refused 401');
    expect(await wsOutcome(wsUrl(), { cookie: 'sym_session=made-up.signature' })).toBe('refused 401');
    const login = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokens.read }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(await wsOutcome(wsUrl(), { cookie, origin: 'https://evil.example' })).toBe('refused 403');
    expect(await wsOutcome(wsUrl(), { cookie, origin: server.url })).toBe('snapshot');
    expect(await wsOutcome(wsUrl(), { authorization: `Bearer ${tokens.read}` })).toBe('snapshot');
  });

  it('the web routes need auth too: 401 without a token, 403 for a POST without the run scope', async () => {
    for (const [method, path] of [['GET', '/workflows'], ['GET', '/auth/session'], ['POST', '/runs']]) {
      expect((await fetch(`${server.url}${path}`, { method })).status).toBe(401);
    }
    const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { authorization: `Bearer ${tokens.read}`, 'content-type': 'application/json' }, body: JSON.stringify({ workflowName: 'hotspots' }) });
    expect(res.status).toBe(403);
    const session = await (await fetch(`${server.url}/auth/session`, { headers: { authorization: `Bearer ${tokens.read}` } })).json();
    expect(session).toEqual({ kind: 'token', scopes: ['read'] }); // no CSRF token outside a web session
  });

  it('lists the configured workflows and starts one by name, refusing unknown names and inputs', async () => {
    const headers = { authorization: `Bearer ${tokens.run}`, 'content-type': 'application/json' };
    const { workflows } = (await (await fetch(`${server.url}/workflows`, { headers })).json()) as { workflows: Array<{ name: string; inputs: Record<string, unknown>; steps: number }> };
    expect(workflows).toEqual([expect.objectContaining({ name: 'hotspots', steps: example.steps.length })]);
    expect(Object.keys(workflows[0]!.inputs)).toEqual(['repo', 'commits', 'top', 'report']);
    const unknown = await fetch(`${server.url}/runs`, { method: 'POST', headers, body: JSON.stringify({ workflowName: 'nope' }) });
    expect(unknown.status).toBe(404);
    const badInput = await fetch(`${server.url}/runs`, { method: 'POST', headers, body: JSON.stringify({ workflowName: 'hotspots', inputs: { commits: 'many', colour: 'red' } }) });
    expect(badInput.status).toBe(400);
    expect(((await badInput.json()) as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['inputs.colour', 'inputs.commits']);
    const both = await fetch(`${server.url}/runs`, { method: 'POST', headers, body: JSON.stringify({ workflowName: 'hotspots', workflow: { name: 'x' } }) });
    expect(both.status).toBe(400);
  });

  it('disables and enables an extension (admin only); a disabled one is refused and leaves the capability to the other', async () => {
    const admin = { authorization: `Bearer ${(await server.tokens.create('ops', ['admin'])).token}` };
    const reader = { authorization: `Bearer ${tokens.read}` };
    const state = async () =>
      ((await (await fetch(`${server.url}/extensions`, { headers: admin })).json()) as { extensions: Array<{ id: string; state: string }> }).extensions.find((e) => e.id === 'symphony.risk-mlp')?.state;
    expect((await fetch(`${server.url}/extensions/symphony.risk-mlp/disable`, { method: 'POST', headers: reader })).status).toBe(403);
    expect((await fetch(`${server.url}/extensions/symphony.risk-mlp/disable`, { method: 'POST', headers: admin })).status).toBe(200);
    expect(await state()).toBe('disabled');
    const stage = kernel.service<{ providers(c: string): Array<{ id: string }>; call(uses: string, input: unknown): Promise<unknown> }>('stage');
    expect(stage.providers('classify-risk').map((p) => p.id)).toEqual(['symphony.risk-linear']);
    await expect(stage.call('symphony.risk-mlp/classify', { files: [] })).rejects.toMatchObject({ code: 'E_EXTENSION_DISABLED' });
    expect((await fetch(`${server.url}/extensions/symphony.risk-mlp/enable`, { method: 'POST', headers: admin })).status).toBe(200);
    expect(await state()).not.toBe('disabled');
    expect(stage.providers('classify-risk').map((p) => p.id).sort()).toEqual(['symphony.risk-linear', 'symphony.risk-mlp']);
    expect((await fetch(`${server.url}/extensions/acme.nothing/enable`, { method: 'POST', headers: admin })).status).toBe(404);
  });
});

/** A view's current tree over `/ws` (bearer auth), as JSON text, once every feed update is delivered. */
async function viewText(view: 'symphony.run-monitor:monitor' | 'symphony.artifact-browser:browser'): Promise<string> {
  await server.web!.idle();
  const [extension, name] = view.split(':');
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${tokens.read}` } });
  try {
    return await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ t: 'view.open', extension, name })));
      ws.on('message', (m) => {
        const message = JSON.parse(String(m)) as { t: string; view?: string; tree?: unknown };
        if (message.t === 'view.snapshot' && message.view === view) resolve(JSON.stringify(message.tree));
        if (message.t === 'view.error') reject(new Error(String(m)));
      });
      ws.on('error', reject);
    });
  } finally {
    ws.close();
  }
}

/** Polls `GET /runs/:id` until the run ends (the run is recorded before `POST /runs` answers). */
async function runToEnd(runId: string, bearer: string): Promise<{ status: string }> {
  for (let i = 0; i < 1200; i++) {
    const res = await fetch(`${server.url}/runs/${runId}`, { headers: { authorization: `Bearer ${bearer}` } });
    const run = (await res.json()) as { status?: string };
    if (!res.ok) throw new Error(`GET /runs/${runId} answered ${res.status}`);
    if (run.status !== 'running') return run as { status: string };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not end`);
}

describe.skipIf(!executablePath)('the web UI in a real Chromium through the real server', { timeout: 60_000 }, () => {
  let browser: Browser;
  let page: Page;
  let startedRun = '';
  const pageErrors: Error[] = [];
  /** Every Content-Security-Policy violation any page of the walkthrough reported. */
  const cspViolations: string[] = [];
  const shot = (name: string) => page.screenshot({ path: `${artifactsDir}${name}.png`, fullPage: true });
  /** Records CSP violations of every page in a context: the DOM event and Chromium's console report. */
  const watchCsp = async (context: BrowserContext) => {
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`securitypolicyviolation ${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    });
    context.on('console', (m) => {
      if (/securitypolicyviolation|Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  };

  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await watchCsp(context);
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('asks for a token, refuses a wrong one, and logs in with a right one', async () => {
    await page.goto(`${server.url}/#/runs`);
    await page.getByTestId('page-login').waitFor();
    await page.getByLabel('API token').fill('sym_000000000000_' + 'A'.repeat(43));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('login-error').waitFor();
    await shot('server-login');
    await page.getByLabel('API token').fill(tokens.run);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
    // The session is an httpOnly cookie: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('sym_session');
  });

  it('a session without admin sees the extension switches disabled (the server refuses the change anyway)', async () => {
    await page.goto(`${server.url}/#/extensions`);
    await page.getByTestId('needs-admin').waitFor();
    const switches = page.getByRole('switch');
    expect(await switches.count()).toBeGreaterThan(0);
    for (const sw of await switches.all()) expect(await sw.isDisabled()).toBe(true);
    await page.goto(`${server.url}/#/runs`);
  });

  it('starts the hotspot example from the Runs page and watches its DAG update live', async () => {
    const view = page.getByTestId('view-symphony.run-monitor:monitor');
    await view.waitFor();
    // Record every state the page shows without reloading: the run's row and each DAG node.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { __seen: string[] }).__seen = []);
      const record = () => {
        for (const row of document.querySelectorAll('tr')) seen.push(`row:${row.textContent}`);
        for (const g of document.querySelectorAll('g[data-node]')) seen.push(`node:${g.getAttribute('data-node')}:${g.getAttribute('data-status')}`);
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const rev = Number(await view.getAttribute('data-rev'));
    // The form starts at the workflow's declared defaults; point `repo` at the test's repository.
    // (filled in once `GET /workflows` answers)
    await expect.poll(() => page.locator('#input-top').inputValue(), { timeout: 10_000 }).toBe('15');
    await page.locator('#input-repo').fill(repo);
    await page.getByRole('button', { name: 'Start' }).click();
    const started = await page.getByTestId('started-run').locator('a').textContent();
    const runId = started!.trim();
    startedRun = runId;
    // The monitor re-renders on every event, and its row handler with it: a click that races an
    // update is refused as stale (E_VDOM_HANDLER_STALE), so click again, as a person would.
    for (let attempt = 0; attempt < 20; attempt++) {
      await page.getByRole('cell', { name: runId }).click();
      if (await page.locator('g[data-node]').first().waitFor({ timeout: 1000 }).then(() => true, () => false)) break;
    }
    const nodes = example.steps;
    for (const id of nodes) await page.locator(`g[data-node="${id}"]`).waitFor();
    await shot('server-runs-live');
    await page.locator('g[data-node="save"][data-status="succeeded"]').waitFor({ timeout: 45_000 });
    await page.getByText(`${nodes.length} of ${nodes.length} steps finished`).waitFor();
    for (const id of nodes) expect(await page.locator(`g[data-node="${id}"]`).getAttribute('data-status')).toBe('succeeded');
    expect(Number(await view.getAttribute('data-rev'))).toBeGreaterThan(rev); // it all arrived as patches

    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    const row = seen.filter((s) => s.startsWith(`row:${runId}`));
    // The row appeared while the run was running and changed to succeeded, live.
    expect(row.some((s) => s.includes('running'))).toBe(true);
    expect(row.at(-1)).toContain('succeeded');
    // ... and the selected run's DAG showed steps before they finished, then each succeeded.
    expect(seen.some((s) => /^node:\w+:(pending|ready|running)$/.test(s))).toBe(true);
    // The edges are the workflow's data flow (describeRun), e.g. joined -> ranking -> report -> save.
    expect(example.edges).toContain('joined->ranking');
    for (const edge of example.edges) expect(await page.locator(`path[data-edge="${edge}"]`).count()).toBe(1);
    expect(await page.locator('path[data-edge]').count()).toBe(example.edges.length);

    await page.locator('g[data-node="ranking"]').click();
    await page.getByText(/hotspots\/ranking@\d+/).waitFor();
    await shot('server-runs');
  });

  it('the run page: keyboard only from the store\'s run list to a run, its timeline, a step\'s provider and log; a deep link; axe-clean at desktop and phone sizes in both themes', async () => {
    await page.goto(`${server.url}/runs`);
    const link = `a[data-run-link="${startedRun}"]`;
    await page.locator(link).waitFor();
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
      }
      throw new Error(`Tab never reached ${selector}`);
    };
    await tabTo(link);
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByTestId('run-detail').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${startedRun}`);
    expect(await page.getByTestId('run-status').textContent()).toBe('succeeded');
    // Who started it (the token this session logged in with) and from which workflow file.
    expect(await page.getByTestId('run-started-by').textContent()).toBe('token “browser”');
    expect(await page.getByTestId('run-source').textContent()).toBe(EXAMPLE_WORKFLOW);
    // Durations in human units, not raw milliseconds.
    expect(await page.getByTestId('run-duration').textContent()).toMatch(/^\d+(\.\d)? (ms|s)$|min/);
    for (const id of example.steps) await page.locator(`[data-testid="timeline"] a[data-step-link="${id}"]`).waitFor();
    await tabTo('a[data-step-link="ranking"]');
    await page.keyboard.press('Enter');
    await page.getByTestId('step-panel').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${startedRun}/steps/ranking`);
    expect(await page.getByTestId('step-provider').textContent()).not.toBe('—');
    await page.getByTestId('step-panel').getByTestId('log').filter({ hasText: 'succeeded in' }).waitFor();
    expect(await page.title()).toBe(`Step ranking · Run ${startedRun} · Symphony`);
    await shot('server-run-page');
    // A finished run cannot be cancelled; it can be run again with the same inputs.
    expect(await page.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Re-run all' }).click();
    await page.waitForURL((u) => /^\/runs\/[^/]+$/.test(u.pathname) && u.pathname !== `/runs/${startedRun}`);
    const rerun = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    // The new run's page (the old one, also succeeded, may still be on screen for a moment).
    await page.getByTestId('run-rerun-of').filter({ hasText: startedRun }).waitFor();
    await page.getByTestId('run-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 45_000 });
    expect(((await (await fetch(`${server.url}/runs/${rerun}`, { headers: { authorization: `Bearer ${tokens.read}` } })).json()) as { inputs: { repo: string } }).inputs.repo).toBe(repo);
    expect(await page.getByTestId('run-rerun-of').textContent()).toBe(`${startedRun} (every step)`);

    // A deep link loaded afresh (a full page load, same session): the step's page, with its log.
    const other = page;
    {
      await other.goto(`${server.url}/runs/${startedRun}/steps/report`);
      await other.getByTestId('step-panel').waitFor();
      await other.getByTestId('step-panel').getByTestId('log').filter({ hasText: 'succeeded in' }).waitFor();
      // What the extension wrote with ctx.log is in the step's log, and the log is searchable.
      const stepLog = other.getByTestId('step-panel').getByTestId('log');
      await stepLog.filter({ hasText: /\[info\] report: \d+ hotspot\(s\), top src\/hot\.js/ }).waitFor();
      await other.getByRole('searchbox', { name: 'Search the log of step report' }).fill('TOP SRC');
      expect(await other.getByTestId('step-panel').getByTestId('log-count').textContent()).toMatch(/^1 of \d+ lines match$/);
      expect(await stepLog.locator('mark').textContent()).toBe('top src');
      await other.getByRole('searchbox', { name: 'Search the log of step report' }).fill('');
      const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
      await other.evaluate(axeSource); // through the debugger protocol: an inline <script> is refused by the page's CSP
      const found: string[] = [];
      for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
        await other.setViewportSize(size);
        for (const theme of ['light', 'dark']) {
          await other.evaluate((t) => document.documentElement.classList.toggle('dark', t === 'dark'), theme);
          const violations = await other.evaluate(async () => (await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run()).violations);
          for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') found.push(`${size.width}px ${theme}: ${v.id} ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
          const overflow = await other.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          if (overflow > 0) found.push(`${size.width}px ${theme}: ${overflow}px of horizontal overflow`);
        }
        await other.screenshot({ path: `${artifactsDir}server-step-${size.width}.png`, fullPage: true });
      }
      expect(found).toEqual([]);
      await other.setViewportSize({ width: 1280, height: 1000 });
      await other.evaluate(() => document.documentElement.classList.remove('dark'));
    }
  });

  it('at phone size: a failed run\'s step and its error in the log, re-run from the failed step (the other steps carried over), axe-clean', async () => {
    // `save` fails: the report's folder is a file. The run is started as a script would.
    writeFileSync(join(repo, 'blocked'), 'not a folder\n');
    const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { authorization: `Bearer ${tokens.script}`, 'content-type': 'application/json' }, body: JSON.stringify({ workflowName: 'hotspots', inputs: { repo, report: 'blocked/hotspots.md' } }) });
    const { runId } = (await res.json()) as { runId: string };
    expect((await runToEnd(runId, tokens.read)).status).toBe('failed');
    await page.setViewportSize({ width: 390, height: 844 });
    // The store's run list finds it by an input's value, and says who started it.
    await page.goto(`${server.url}/runs`);
    await page.getByLabel('Search by run id or input').fill('blocked/hotspots');
    await expect.poll(() => page.locator('a[data-run-link]').evaluateAll((as) => as.map((a) => a.getAttribute('data-run-link')))).toEqual([runId]);
    expect(await page.getByTestId('runs-ledger').getByText('by token “runner”').count()).toBe(1);
    await page.locator(`a[data-run-link="${runId}"]`).click();
    await page.getByTestId('run-status').filter({ hasText: 'failed' }).waitFor();
    expect(await page.getByTestId('run-started-by').textContent()).toBe('token “runner”');
    await page.locator('[data-testid="timeline"] a[data-step-link="save"]').click();
    await page.getByTestId('step-panel').getByTestId('log').filter({ hasText: 'failed: E_' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${runId}/steps/save`);
    await shot('server-failed-step-390');
    // Fixed; run again from the failed step: a new run where only `save` runs.
    rmSync(join(repo, 'blocked'));
    await page.getByTestId('rerun-failed').click();
    await page.waitForURL((u) => /^\/runs\/[^/]+$/.test(u.pathname) && u.pathname !== `/runs/${runId}`);
    const again = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    // The page follows the new run (a timer set by the old run's events must not swallow its events).
    await page.getByTestId('run-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 45_000 });
    expect(await page.getByTestId('run-rerun-of').textContent()).toBe(`${runId} (the failed steps)`);
    expect(await (await fetch(`${server.url}/runs/${again}`, { headers: { authorization: `Bearer ${tokens.read}` } })).json()).toMatchObject({ status: 'succeeded', rerunOf: runId, startedBy: 'token:browser' });
    const carried = await page.getByTestId('carried').locator('a[data-step-link]').evaluateAll((as) => as.map((a) => a.getAttribute('data-step-link')));
    expect(carried.sort()).toEqual(example.steps.filter((id) => id !== 'save').sort());
    expect(await page.locator('[data-testid="timeline"] a[data-step-link]').evaluateAll((as) => as.map((a) => a.getAttribute('data-step-link')))).toEqual(['save']);
    expect(readFileSync(join(repo, 'blocked', 'hotspots.md'), 'utf8')).toContain('src/hot.js');
    const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(axeSource); // not an inline <script>: the CSP refuses those
    const violations = await page.evaluate(async () => (await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe.run()).violations);
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
    await shot('server-rerun-390');
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  it('the walkthrough on a phone (390×844, touch): log in, start the example, its run page, a step\'s log, the Markdown report, a download; nothing wider than the screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await watchCsp(phone);
    const p = await phone.newPage();
    p.on('pageerror', (err) => pageErrors.push(err));
    const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    try {
      await p.goto(`${server.url}/runs`);
      await p.getByTestId('page-login').waitFor();
      expect(await overflow()).toBe(0);
      await p.getByLabel('API token').fill(tokens.run);
      await p.getByRole('button', { name: 'Log in' }).tap();
      await p.locator('#input-repo').fill(repo);
      await p.getByRole('button', { name: 'Start' }).tap();
      await p.getByTestId('started-run').locator('a').tap();
      await p.getByTestId('run-detail').waitFor();
      await p.getByTestId('run-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 45_000 });
      expect(await overflow()).toBe(0);
      await p.locator('[data-testid="timeline"] a[data-step-link="complexity"]').tap();
      await p.getByTestId('step-panel').getByTestId('log').filter({ hasText: /\[info\] measured the decision points of \d+ of \d+ files/ }).waitFor();
      expect(await overflow()).toBe(0);
      await p.screenshot({ path: `${artifactsDir}server-phone-step.png`, fullPage: true });
      await p.getByTestId('nav-artifacts').tap();
      await p.getByRole('cell', { name: 'hotspots/report' }).tap();
      await p.getByTestId('open-hotspots/report').tap();
      const report = p.getByTestId('artifact-markdown');
      await report.waitFor();
      expect(await report.locator('h1, h2, h3').count()).toBeGreaterThan(0);
      expect(await overflow()).toBe(0);
      const [download] = await Promise.all([p.waitForEvent('download'), p.getByTestId('artifact-download').tap()]);
      expect(readFileSync((await download.path())!, 'utf8')).toContain('src/hot.js');
      await p.screenshot({ path: `${artifactsDir}server-phone-artifacts.png`, fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('opens an artifact of the run on the Artifacts page: the Markdown report rendered (not JSON), a JSON output as a tree, a download', async () => {
    await page.goto(`${server.url}/#/artifacts`);
    await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
    await page.getByRole('cell', { name: 'hotspots/report' }).click();
    await page.locator('g[data-node^="hotspots/report@"]').first().waitFor();
    await page.getByTestId('open-hotspots/report').click();
    const report = page.getByTestId('artifact-markdown');
    await report.waitFor();
    expect(await report.textContent()).toContain('src/hot.js');
    // Rendered: headings are elements, no escaped newlines or JSON quotes are shown.
    expect(await report.locator('h1, h2, h3').count()).toBeGreaterThan(0);
    expect(await report.textContent()).not.toContain('\\n');
    expect(await report.locator('script, [onerror], [onclick]').count()).toBe(0);
    await shot('server-artifacts');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('artifact-download').click()]);
    expect(download.suggestedFilename()).toBe('hotspots_report');
    expect(readFileSync((await download.path())!, 'utf8')).toContain('src/hot.js');
    await page.getByTestId('open-hotspots/ranking').click();
    await page.locator('[data-testid="artifact-json"], [data-testid="artifact-table"]').first().waitFor();
  });

  it('the run page under the server\'s security headers: a strict Content-Security-Policy with no violation, nosniff, no referrer, never framed; artifacts never render as a page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const violations: string[] = [];
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => ((window as unknown as { __csp?: string[] }).__csp ??= []).push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    context.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    const p = await context.newPage();
    p.on('pageerror', (err) => pageErrors.push(err));
    try {
      // Log in through the page (the session cookie), then load a run's page and a step's afresh.
      await p.goto(`${server.url}/runs`);
      await p.getByLabel('API token').fill(tokens.read);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
      const response = await p.goto(`${server.url}/runs/${startedRun}/steps/report`);
      const headers = response!.headers();
      const csp = Object.fromEntries(headers['content-security-policy']!.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
      expect(csp).toMatchObject({ 'default-src': "'self'", 'script-src': "'self'", 'style-src': "'self'", 'connect-src': "'self'", 'object-src': "'none'", 'base-uri': "'none'", 'frame-ancestors': "'none'" });
      expect(headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
      // A reload revalidates index.html (no-cache): the 304 must not replace the cached policy
      // with another one (a browser merges a 304's headers into the cached answer).
      await p.getByTestId('step-panel').waitFor();
      const reloaded = await p.reload();
      expect(reloaded!.headers()['content-security-policy']).toBe(headers['content-security-policy']);
      // (node:http: fetch() drops the Sec-Fetch-Dest and If-None-Match a browser sends)
      const navigate = (extra: Record<string, string> = {}) => new Promise<IncomingMessage>((resolve, reject) => {
        httpGet(`${server.url}/runs/${startedRun}`, { headers: { accept: 'text/html', 'sec-fetch-dest': 'document', ...extra } }, (res) => (res.resume(), resolve(res))).on('error', reject);
      });
      const etag = (await navigate()).headers.etag;
      expect(etag).toBeTruthy();
      const revalidated = await navigate({ 'if-none-match': etag! });
      expect(revalidated.statusCode).toBe(304);
      expect(revalidated.headers['content-security-policy'] ?? headers['content-security-policy']).toBe(headers['content-security-policy']);
      // The page works under it: the live socket, the timeline, the step's log, the theme's colours.
      await p.getByTestId('step-panel').getByTestId('log').filter({ hasText: 'succeeded in' }).waitFor();
      for (const id of example.steps) await p.locator(`[data-testid="timeline"] a[data-step-link="${id}"]`).waitFor();
      expect(await p.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--background').trim())).not.toBe('');
      await p.getByTestId('nav-artifacts').click();
      await p.getByRole('cell', { name: 'hotspots/report' }).click();
      await p.getByTestId('open-hotspots/report').click();
      await p.getByTestId('artifact-markdown').waitFor();
      expect(await p.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])).toEqual([]);
      expect(violations).toEqual([]);
      // The policy is enforced, not decorative: an injected inline script is refused and reported.
      expect(await p.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = '(window).__ran = true';
        document.head.append(s);
        return (window as unknown as { __ran?: boolean }).__ran ?? false;
      })).toBe(false);
      await expect.poll(() => p.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? [])).toEqual([expect.stringMatching(/^script-src-elem inline/)]);
      // An artifact's bytes: a download, inert as a document, never sniffed into HTML.
      const artifact = await p.request.get(`${server.url}/artifacts/hotspots%2Freport/versions/1`);
      expect(artifact.status()).toBe(200);
      expect(artifact.headers()).toMatchObject({ 'content-type': 'application/octet-stream', 'content-disposition': 'attachment', 'x-content-type-options': 'nosniff' });
      expect(artifact.headers()['content-security-policy']).toMatch(/sandbox/);
      // The API's answers and the assets carry nosniff and no referrer too.
      for (const path of ['/health', '/openapi.json', '/favicon.svg', '/nope']) {
        const res = await fetch(`${server.url}${path}`);
        expect([path, res.headers.get('x-content-type-options'), res.headers.get('referrer-policy'), res.headers.get('x-frame-options')]).toEqual([path, 'nosniff', 'no-referrer', 'DENY']);
        expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      }
      // The run events stream (written past fastify) too.
      const controller = new AbortController();
      const sse = await fetch(`${server.url}/runs/${startedRun}/events`, { headers: { authorization: `Bearer ${tokens.read}` }, signal: controller.signal });
      expect([sse.status, sse.headers.get('x-content-type-options'), sse.headers.get('referrer-policy')]).toEqual([200, 'nosniff', 'no-referrer']);
      controller.abort();
    } finally {
      await context.close();
    }
  });

  it('logs out: the session ends and the login screen returns', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('page-login').waitFor();
    await page.reload();
    await page.getByTestId('page-login').waitFor();
  });

  it('no page errors in the browser console, and no Content-Security-Policy violation on any page', () => {
    expect(pageErrors.map((e) => e.message)).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

describe('the UI motifs are fed with the kernel\'s runs and artifacts', () => {
  it('a run submitted over the API shows in the run monitor with every step, and its outputs in the artifact browser', { timeout: 30_000 }, async () => {
    const res = await fetch(`${server.url}/runs`, { method: 'POST', headers: { authorization: `Bearer ${tokens.run}`, 'content-type': 'application/json' }, body: JSON.stringify({ workflowName: 'hotspots', inputs: { repo, top: 5 } }) });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    expect((await runToEnd(runId, tokens.read)).status).toBe('succeeded');
    const monitor = await viewText('symphony.run-monitor:monitor');
    expect(monitor).toContain(runId);
    const n = example.steps.length;
    expect(monitor).toMatch(new RegExp(`"id":"${runId}","workflow":"hotspots","status":"succeeded","steps":"${n}/${n}"`));
    const browser = await viewText('symphony.artifact-browser:browser');
    for (const step of ['history', 'ranking', 'report', 'save']) expect(browser).toContain(`"id":"hotspots/${step}"`);
  });
});

describe('after a restart', () => {
  it('the monitor shows the runs from before (replayed from the event log) and the browser the store\'s artifacts', { timeout: 30_000 }, async () => {
    const before = ((await (await fetch(`${server.url}/runs`, { headers: { authorization: `Bearer ${tokens.read}` } })).json()) as { runs: { runId: string; status: string }[] }).runs;
    expect(before.length).toBeGreaterThan(0);
    await server.close();
    server = await serve({ kernel: await embeddedKernel(home), home, port: 0, web: {}, workflows: [EXAMPLE_WORKFLOW] });
    const monitor = await viewText('symphony.run-monitor:monitor');
    const n = example.steps.length;
    // Every run as it ended (the failed one stopped one step short); a re-run's carried steps count as finished.
    for (const run of before) expect(monitor).toMatch(new RegExp(`"id":"${run.runId}","workflow":"hotspots","status":"${run.status}","steps":"${run.status === 'failed' ? n - 1 : n}/${n}"`));
    expect(await viewText('symphony.artifact-browser:browser')).toContain('"id":"hotspots/report"');
  });
});
