import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWebHost } from '../host/server.mjs';
import { artifactsDir, chromiumArgs, ensureBuilt, findChromium } from './helpers.js';

const executablePath = findChromium();
if (!executablePath) {
  console.warn('[web] browser tests skipped: no Chromium at $CHROMIUM_PATH or /usr/bin/chromium (apt-get install -y chromium)');
}

type Host = Awaited<ReturnType<typeof startWebHost>>;

describe.skipIf(!executablePath)('web app in a real Chromium against the test host', () => {
  let host: Host;
  let browser: Browser;
  let page: Page;
  const pageErrors: Error[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    await ensureBuilt();
    host = await startWebHost({ demo: 'instant' });
    browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err));
    // The host sends the server's Content-Security-Policy (host/csp.mjs): the app must live within it.
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  const shot = (name: string) => page.screenshot({ path: `${artifactsDir}${name}.png`, fullPage: true });

  it('loads, hydrates, and shows the live run DAG; a node opens its step log and output', async () => {
    await page.goto(`${host.url}/#/runs`);
    await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
    await page.getByRole('cell', { name: 'run-1' }).click();
    await page.locator('g[data-node="files"][data-status="succeeded"]').waitFor();
    expect(await page.locator('g[data-node="score"]').getAttribute('data-status')).toBe('running');
    expect(await page.locator('g[data-node]').count()).toBe(4);
    await page.locator('g[data-node="files"]').click();
    await page.getByText('found 42 files').waitFor();
    await page.getByText(/files@3/).waitFor();
    await shot('runs');

    // Live: a Conductor event arriving at the motif shows up as a patch, no reload.
    await host.stage.call('symphony.run-monitor/ingest', { events: [
      { name: 'step:end', payload: { runId: 'run-1', stepId: 'score', attempt: 2, durationMs: 900, at: Date.now() } },
    ] });
    await page.locator('g[data-node="score"][data-status="succeeded"]').waitFor();
    await page.getByText('3 of 4 steps finished').waitFor();
  });

  it('an extension running in a real worker renders a form; typing and submitting runs its handler and the patched UI shows the result', async () => {
    await page.goto(`${host.url}/#/motifs`);
    await page.getByRole('button', { name: /Feedback form/ }).click();
    const view = page.getByTestId('view-demo.feedback:form');
    await view.waitFor();
    await expect(view.getByText(/in worker thread \d+/).count()).resolves.toBe(1);

    // Empty name: the extension's handler refuses it and the UI shows why.
    await view.getByRole('button', { name: 'Submit' }).click();
    await view.getByText('Please enter your name.').waitFor();

    await view.getByLabel('Name').fill('Ada Lovelace');
    await view.getByLabel('Rating').selectOption('4');
    await view.getByLabel('Message').fill('Lovely engine');
    await view.getByLabel('Keep me posted').check();
    const rev = Number(await view.getAttribute('data-rev'));
    await view.getByRole('button', { name: 'Submit' }).click();
    await view.getByText('Thanks, Ada Lovelace!').waitFor();
    await view.getByText('Rating 4/5, subscribed: Lovely engine').waitFor();
    expect(Number(await view.getAttribute('data-rev'))).toBeGreaterThan(rev); // arrived as a patch
    await expect(view.getByText('Please enter your name.').count()).resolves.toBe(0);
    await shot('motifs');
  });

  it('hot reload keeps the panel on screen with its state; the new worker keeps handling events', async () => {
    const view = page.getByTestId('view-demo.feedback:form');
    const rev = Number(await view.getAttribute('data-rev'));
    await host.stage.reload('demo.feedback');
    // The new code's first render arrives as a patch (new handler ids), on top of the kept tree.
    await page.waitForFunction((r) => Number(document.querySelector('[data-testid="view-demo.feedback:form"]')?.getAttribute('data-rev')) > r, rev);
    await expect(view.getByText('Thanks, Ada Lovelace!').count()).resolves.toBe(1);
    await view.getByLabel('Name').fill('Charles');
    await view.getByRole('button', { name: 'Submit' }).click();
    await view.getByText('Thanks, Charles!').waitFor();
    await view.getByText('2 submissions').waitFor();
  });

  it('a motif\'s modal dialog opens, holds the page behind it still and closes, within the Content-Security-Policy', async () => {
    const view = page.getByTestId('view-demo.feedback:form');
    await view.getByRole('button', { name: 'Clear submissions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear every submission?' });
    await dialog.waitFor();
    await dialog.getByText('They are kept nowhere else.').waitFor();
    // Modal: focus is inside it, the page behind does not scroll.
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).overflow)).toBe('hidden');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await view.getByText('2 submissions').waitFor();
    await view.getByRole('button', { name: 'Clear submissions' }).click();
    await dialog.getByRole('button', { name: 'Clear', exact: true }).click();
    await view.getByText('0 submissions').waitFor();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).overflow)).not.toBe('hidden');
    expect(cspViolations).toEqual([]);
  });

  it('an extension whose tree is invalid shows the error with the node path, not a blank panel', async () => {
    await page.getByRole('button', { name: /Invalid panel/ }).click();
    await page.getByRole('alert').filter({ hasText: 'E_VDOM_UNKNOWN_COMPONENT' }).waitFor();
    await page.getByRole('alert').getByText(/Stack > Card\[1\] > Marquee\[0\]/).waitFor();
  });

  it('the extensions page lists installed extensions with status, permissions and the audit', async () => {
    await page.goto(`${host.url}/#/extensions`);
    for (const id of ['demo.feedback', 'symphony.run-monitor', 'symphony.artifact-browser']) await page.getByTestId(`extension-${id}`).waitFor();
    await page.getByRole('cell', { name: 'uiEvent' }).first().waitFor();
    const card = page.getByTestId('extension-demo.feedback');
    await card.getByRole('switch').click();
    await card.getByText('Disabled', { exact: true }).waitFor();
    // The switch turns the extension off in the stage itself, not only in the UI: its status follows.
    await card.getByText('disabled', { exact: true }).waitFor();
    const stageState = () => host.stage.list().find((e: { id: string }) => e.id === 'demo.feedback')?.state;
    expect(stageState()).toBe('disabled');
    await expect(host.stage.call('demo.feedback/uiRender', { view: 'x', name: 'form' })).rejects.toMatchObject({ code: 'E_EXTENSION_DISABLED' });
    await shot('extensions');
    await card.getByRole('switch').click();
    await card.getByText('Enabled', { exact: true }).waitFor();
    expect(stageState()).not.toBe('disabled');
  });

  it('the artifacts page shows versions and lineage of an artifact', async () => {
    await page.goto(`${host.url}/#/artifacts`);
    await page.getByRole('cell', { name: 'review-report' }).click();
    await page.locator('g[data-node="lint-report@7"]').waitFor();
    await page.locator('g[data-node="review-report@2"]').waitFor();
    await shot('artifacts');
  });

  it('dark theme is this browser\'s own choice, kept across pages and reloads', async () => {
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
    await page.reload();
    await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
    await page.goto(`${host.url}/#/runs`);
    await page.getByRole('cell', { name: 'run-1' }).click();
    await page.locator('g[data-node="files"]').waitFor();
    await shot('runs-dark');
  });

  it('no page errors in the browser console, and no Content-Security-Policy violation', async () => {
    expect(pageErrors.map((e) => e.message)).toEqual([]);
    expect(cspViolations).toEqual([]);
    const res = await fetch(`${host.url}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self'; style-src 'self';/);
  });
});
