import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWebHost } from '../host/server.mjs';
import { artifactsDir, chromiumArgs, ensureBuilt, findChromium } from './helpers.js';

const executablePath = findChromium();
if (!executablePath) console.warn('[web] accessibility tests skipped: no Chromium at $CHROMIUM_PATH or /usr/bin/chromium (apt-get install -y chromium)');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

type Host = Awaited<ReturnType<typeof startWebHost>>;
interface AxeViolation { id: string; impact: string | null; nodes: Array<{ target: string[] }> }

/** axe-core's serious and critical violations on the page as it is now. */
async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource); // not an inline <script>: the page's CSP refuses those
  const violations = await page.evaluate(async () => (await (window as unknown as { axe: { run(o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe.run({ resultTypes: ['violations'] })).violations);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

const sizes = [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 390, height: 844 }] as const;
const pages = ['runs', 'extensions', 'artifacts', 'motifs'] as const;

describe.skipIf(!executablePath)('accessibility and phone layout in a real Chromium', () => {
  let host: Host;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    await ensureBuilt();
    host = await startWebHost({ demo: 'instant' });
    browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  for (const size of sizes) {
    it(`${size.name} (${size.width}px): every page in both themes has no serious or critical axe violation and no horizontal overflow`, async () => {
      const context = await browser.newContext({ viewport: { width: size.width, height: size.height } });
      const page = await context.newPage();
      const found: string[] = [];
      try {
        for (const theme of ['light', 'dark'] as const) {
          await page.goto(`${host.url}/runs`);
          // After the app has mounted (it writes its current theme on mount), choose this one.
          await page.getByTestId('connection').waitFor();
          await page.evaluate((t) => localStorage.setItem('symphony.theme', t), theme);
          for (const name of pages) {
            await page.goto(`${host.url}/${name}`);
            await page.getByTestId('connection').filter({ hasText: 'connected' }).waitFor();
            await page.locator(`[data-testid="page-${name}"]`).waitFor();
            await page.waitForFunction(() => !document.querySelector('[data-testid="hydrating"], [data-testid="view-loading"]') && !/Loading…/.test(document.querySelector('main')?.textContent ?? ''));
            if (name === 'runs') {
              await page.locator('tr[data-row="run-1"]').click();
              await page.locator('g[data-node="files"]').click();
              await page.getByText('found 42 files').waitFor();
            }
            expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(theme === 'dark');
            for (const v of await axe(page)) found.push(`${size.name} ${theme} /${name}: ${v}`);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            if (overflow > 0) found.push(`${size.name} ${theme} /${name}: page is ${overflow}px wider than the screen`);
            if (theme === 'light') await page.screenshot({ path: `${artifactsDir}a11y-${size.name}-${name}.png`, fullPage: true });
          }
        }
      } finally {
        await context.close();
      }
      expect(found).toEqual([]);
    });
  }

  it('keyboard only: Tab to a run row, Enter opens it, Tab to a step node, Enter shows its log; the focus is visible', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      await page.goto(`${host.url}/runs`);
      await page.locator('tr[data-row="run-1"]').waitFor();
      const tabTo = async (selector: string) => {
        for (let i = 0; i < 60; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
        }
        throw new Error(`Tab never reached ${selector}`);
      };
      await tabTo('tr[data-row="run-1"]');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).not.toBe('none');
      await page.keyboard.press('Enter');
      await page.locator('g[data-node="files"]').waitFor();
      await tabTo('g[data-node="files"]');
      await page.keyboard.press('Enter');
      await page.getByText('found 42 files').waitFor();
      // The selection settles after the log renders: wait for it (fails by timeout if it never does).
      await page.locator('g[data-node="files"][aria-pressed="true"]').waitFor({ timeout: 10_000 });
    } finally {
      await context.close();
    }
  });
});
