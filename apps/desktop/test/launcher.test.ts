import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSymphony, type Symphony } from '@symphony/runtime';
import { serve } from '@symphony/server';
import { openPath, registerProtocolHandler, type Hooks, type SymphonyHooks } from '@symphony/hooks';
import { desktopDir, desktopServer, findAppBrowser, launchDesktop, openInRunningDesktop, type DesktopInstance } from '../src/index.js';
import { missingTools, startDesktopSession, waitFor, xwdToPng } from './desktop-session.js';

const artifactsDir = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const cli = fileURLToPath(new URL('../../cli/dist/cli.js', import.meta.url));
const chromium = findAppBrowser({ PATH: process.env.PATH, ...(process.env.CHROMIUM_PATH ? { SYMPHONY_BROWSER: process.env.CHROMIUM_PATH } : {}) });
const missing = [...missingTools(), ...(chromium ? [] : ['chromium'])];
if (missing.length) console.warn(`[desktop] launcher tests skipped: missing ${missing.join(', ')} (apt-get install xvfb dbus libnotify-bin dunst xdg-utils x11-apps x11-utils chromium)`);

// Chromium in a container: no sandbox, no GPU, nothing fetched from the network.
const browserArgs = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Names of the X windows on the display. */
const windowNames = (env: NodeJS.ProcessEnv) => {
  try {
    return execFileSync('xwininfo', ['-root', '-tree'], { env, encoding: 'utf8' });
  } catch {
    return '';
  }
};

describe.skipIf(missing.length > 0)('symphony desktop under Xvfb with a D-Bus session', () => {
  let session: Awaited<ReturnType<typeof startDesktopSession>>;
  let home: string;
  let symphony: Symphony;
  let server: Awaited<ReturnType<typeof serve>>;
  let app: DesktopInstance;

  beforeAll(async () => {
    mkdirSync(artifactsDir, { recursive: true });
    session = await startDesktopSession();
    home = mkdtempSync(join(tmpdir(), 'symphony-desktop-home-'));
    symphony = await createSymphony({
      home, noSync: true, logLevel: 'silent',
      steps: { 'symphony.desk/hello': async () => ({ greeting: 'hello' }) },
    });
    server = await serve({ kernel: symphony.kernel, home, port: 0, web: {} });
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
    session?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('opens an app window logged in with a one-time code that appears in no URL the server saw, and keeps a screenshot', async () => {
    const codes: string[] = [];
    const issuer = desktopServer(server);
    app = await launchDesktop({
      server: { url: server.url, issueLoginCode: async () => { const c = await issuer.issueLoginCode(); codes.push(c); return c; } },
      home,
      browser: chromium!,
      browserArgs,
      env: session.env,
      hooks: symphony.kernel.service<Hooks<SymphonyHooks>>('hooks'),
    });
    expect(app.method).toBe('app-window');
    // The handover page is this user's only (0600) while it exists.
    const pages = readdirSync(desktopDir(home)).filter((f) => f.startsWith('login-'));
    for (const p of pages) expect(statSync(join(desktopDir(home), p)).mode & 0o077).toBe(0);
    expect(statSync(join(desktopDir(home), 'instance.json')).mode & 0o077).toBe(0);
    // The window shows the runs page: only a logged-in app titles itself so.
    await waitFor(() => /"Runs · Symphony"/.test(windowNames(session.env)), 'the app window titled "Runs · Symphony"', 300);
    // The code was used once: it cannot log anyone in again.
    expect(server.loginCodes.pending).toBe(0);
    const again = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: codes[0] }) });
    expect(again.status).toBe(401);
    // The code never appeared in a process's command line.
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(codes[0]);
    const png = join(artifactsDir, 'desktop-window.png');
    const xwd = execFileSync('xwd', ['-root', '-silent', '-display', session.display], { maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(png, xwdToPng(xwd));
    // Not a blank screen: the window drew something besides the background.
    const shot = xwdToPng(xwd);
    expect(shot.length).toBeGreaterThan(5_000);
  });

  it('a finished run shows an OS notification on the session bus', async () => {
    const { runId, done } = await symphony.start({ name: 'desk', steps: [{ id: 'hi', uses: 'symphony.desk/hello' }] } as never, { inputs: {} });
    await done;
    await waitFor(() => session.notifications().includes(runId), 'the notification for the run');
    expect(session.notifications()).toContain('"Run succeeded"');
  });

  it('a symphony:// link clicked in the desktop opens that run in the running app', async () => {
    expect(existsSync(cli), `the CLI is built at ${cli}`).toBe(true);
    const reg = await registerProtocolHandler({ exec: `${process.execPath} ${cli} desktop --home ${home} ${browserArgs.map((a) => `--browser-arg=${a}`).join(' ')} --open %u`, env: session.env });
    expect(reg.ok, reg.reason).toBe(true);
    const { runId, done } = await symphony.start({ name: 'desk', steps: [{ id: 'hi', uses: 'symphony.desk/hello' }] } as never, { inputs: {} });
    await done;
    // What a click does: the desktop asks xdg-open, which runs the registered handler.
    expect((await openPath(`symphony://runs/${runId}`, { env: session.env })).ok).toBe(true);
    await waitFor(() => windowNames(session.env).includes(`"Run ${runId} · Symphony"`), `a window showing run ${runId}`, 300);
  });

  it('--open without a running desktop app answers false (the CLI then starts one); a bad link is refused', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'symphony-desktop-none-'));
    try {
      expect(await openInRunningDesktop(elsewhere, 'symphony://runs/x')).toBe(false);
      await expect(openInRunningDesktop(home, 'symphony://admin/../../etc')).rejects.toThrow(/symphony:\/\//);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
