import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { findExecutable, notifyRunEnds, openPath, parseDeepLink, type Hooks, type SymphonyHooks } from '@symphony/hooks';
import { SymphonyError } from '@symphony/types';

/** Chromium-family browsers that can open an app window (`--app=`), in order of preference. */
export const APP_BROWSERS = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'microsoft-edge', 'microsoft-edge-stable', 'brave-browser', 'vivaldi'];

/** `$SYMPHONY_BROWSER`, else the first Chromium-family browser on PATH; undefined when none. */
export function findAppBrowser(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SYMPHONY_BROWSER) return env.SYMPHONY_BROWSER;
  for (const name of APP_BROWSERS) {
    const found = findExecutable(name, env);
    if (found) return found;
  }
  return undefined;
}

/** The server the window shows: its loopback URL and a way to get a one-time login code. */
export interface DesktopServer {
  url: string;
  issueLoginCode(): Promise<string> | string;
}

/**
 * A `DesktopServer` over a started `@symphony/server`: each code stands for a fresh token
 * (`desktop`, admin scope, valid `ttlMs`, default 12 h) that the window's session uses.
 */
export function desktopServer(server: {
  url: string;
  tokens: { create(name: string, scopes: Array<'read' | 'run' | 'admin'>, ttlMs?: number): Promise<{ info: unknown }> };
  loginCodes: { issue(info: never): string };
}, ttlMs = 12 * 3600_000): DesktopServer {
  return {
    url: server.url,
    async issueLoginCode() {
      const { info } = await server.tokens.create('desktop', ['admin'], ttlMs);
      return server.loginCodes.issue(info as never);
    },
  };
}

export interface LaunchOptions {
  server: DesktopServer;
  /** Symphony's home: the window's browser profile and the instance file live in `<home>/desktop`. */
  home: string;
  /** The first page (`/runs`, or a deep link's path). */
  path?: string;
  /** The browser executable; default `findAppBrowser()`. `false`: use the default browser. */
  browser?: string | false;
  /** More browser flags (e.g. `--no-sandbox` in a container). */
  browserArgs?: string[];
  /** The environment the browser and the desktop tools see. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Run hooks (the kernel's `hooks` service): each finished run shows an OS notification. */
  hooks?: Hooks<SymphonyHooks>;
  /** Lines for the user (where the window went). */
  log?: (line: string) => void;
}

export interface DesktopInstance {
  /** The server's URL (never with a login code). */
  url: string;
  /** `app-window`: a Chromium-family `--app` window with its own profile; `default-browser`: `xdg-open`/`open`. */
  method: 'app-window' | 'default-browser';
  /** The browser process of an app window. */
  browser?: ChildProcess;
  /** Resolves with the browser's exit code when the app window's browser exits (never for the default browser). */
  exited: Promise<number | null>;
  close(): Promise<void>;
}

export const desktopDir = (home: string) => join(home, 'desktop');
const instanceFile = (home: string) => join(desktopDir(home), 'instance.json');

/** The browser flags of an app window: no browser chrome, its own profile, no first-run prompts. */
export function appWindowArgs(home: string, target: string, extra: string[] = []): string[] {
  return [`--app=${target}`, `--user-data-dir=${join(desktopDir(home), 'profile')}`, '--class=symphony', '--no-first-run', '--no-default-browser-check', ...extra];
}

/**
 * Opens Symphony's window on a started server. The login is handed over without a token or code
 * in any URL the server or a process list sees: the launcher writes a one-time code into a page
 * in `<home>/desktop` readable only by this user (0600), the window opens that file, which moves
 * on to the app with the code in the URL fragment (never sent to a server); the app removes it
 * from the address at once and exchanges it (`POST /auth/login { code }`) for its session cookie.
 * The code works once and expires within a minute; the file is deleted once it has been read.
 */
export async function launchDesktop(options: LaunchOptions): Promise<DesktopInstance> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const dir = desktopDir(options.home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = options.path ?? '/runs';
  if (!/^\/[\w./@:%-]*$/.test(path)) throw new SymphonyError('E_INPUT_INVALID', `not an app path: ${JSON.stringify(path)}`, { details: { path } });
  const url = options.server.url.replace(/\/+$/, '');
  const code = await options.server.issueLoginCode();
  const handover = join(dir, `login-${randomBytes(9).toString('base64url')}.html`);
  const target = `${url}${path}#login=${code}`;
  writeFileSync(handover, `<!doctype html><meta charset="utf-8"><title>Symphony</title><meta http-equiv="refresh" content="0;url=${escapeHtml(target)}">`, { mode: 0o600 });
  const handoverUrl = `file://${handover}`;
  const removeHandover = () => rmSync(handover, { force: true });
  // The browser reads the page within moments; the code inside expires within a minute anyway.
  const cleanup = setTimeout(removeHandover, 20_000);
  cleanup.unref();

  const unhook = options.hooks ? notifyRunEnds(options.hooks, { env, onResult: (r) => { if (!r.ok) log(`notification not shown: ${r.reason}`); } }) : () => {};
  const browser = options.browser === false ? undefined : options.browser ?? findAppBrowser(env);
  let child: ChildProcess | undefined;
  let method: DesktopInstance['method'];
  let exited: Promise<number | null>;
  if (browser) {
    child = spawn(browser, appWindowArgs(options.home, handoverUrl, options.browserArgs), { env, stdio: 'ignore' });
    exited = new Promise((resolve) => { child!.once('exit', (code) => resolve(code)); child!.once('error', () => resolve(127)); });
    method = 'app-window';
    log(`Symphony desktop: ${url} in an app window (${browser})`);
  } else {
    const opened = await openPath(handoverUrl, { env });
    if (!opened.ok) {
      removeHandover();
      unhook();
      throw new SymphonyError('E_DESKTOP_NO_BROWSER', `no Chromium-family browser found and the default browser could not be opened (${opened.reason}): install chromium or set SYMPHONY_BROWSER`, { details: { url } });
    }
    exited = new Promise(() => {});
    method = 'default-browser';
    log(`Symphony desktop: ${url} in the default browser`);
  }
  writeFileSync(instanceFile(options.home), JSON.stringify({ url, pid: process.pid, browser: browser ?? null }), { mode: 0o600 });

  let closed: Promise<void> | undefined;
  return {
    url,
    method,
    ...(child ? { browser: child } : {}),
    exited,
    close() {
      closed ??= (async () => {
        clearTimeout(cleanup);
        removeHandover();
        unhook();
        try {
          const current = JSON.parse(readFileSync(instanceFile(options.home), 'utf8')) as { pid: number };
          if (current.pid === process.pid) rmSync(instanceFile(options.home), { force: true });
        } catch {
          // already gone
        }
        if (child && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      })();
      return closed;
    },
  };
}

/**
 * A `symphony://` link (from the protocol handler) opened in the running desktop app: its
 * window's browser profile already holds the session, so only the path is passed. Answers false
 * when no desktop app is running for this home (the caller then starts one at that path).
 */
export async function openInRunningDesktop(home: string, link: string, options: Pick<LaunchOptions, 'browserArgs' | 'env'> = {}): Promise<boolean> {
  const path = parseDeepLink(link);
  let instance: { url: string; pid: number; browser: string | null };
  try {
    instance = JSON.parse(readFileSync(instanceFile(home), 'utf8')) as typeof instance;
    process.kill(instance.pid, 0);
  } catch {
    return false;
  }
  const target = `${instance.url}${path}`;
  if (instance.browser && existsSync(instance.browser)) {
    // Chromium hands the window to the running browser of the same profile and exits.
    const child = spawn(instance.browser, appWindowArgs(home, target, options.browserArgs), { env: options.env ?? process.env, stdio: 'ignore', detached: true });
    child.unref();
    return true;
  }
  return (await openPath(target, { env: options.env ?? process.env })).ok;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
