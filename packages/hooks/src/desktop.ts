import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { Hooks } from './hooks.js';
import type { SymphonyHooks } from './lifecycle.js';

/**
 * Desktop integration for a shell around Symphony (the `symphony desktop` launcher): OS
 * notifications, opening files in their default application, revealing them in the file manager,
 * and `symphony://` deep links. Linux is implemented and tested (libnotify over D-Bus, xdg-utils,
 * the freedesktop FileManager1 interface, a `.desktop` entry); macOS and Windows use their
 * standard commands (`osascript`, `open`, PowerShell, `explorer`).
 *
 * Nothing here throws for a missing tool: each call answers whether it worked, so a headless
 * server simply goes without.
 */

export interface DesktopResult {
  ok: boolean;
  /** The command that ran (or would have), for logs. */
  command?: string;
  /** Why it did not work: a missing tool, or its exit code and stderr. */
  reason?: string;
}

export interface DesktopEnv {
  platform?: NodeJS.Platform;
  /** The environment commands run with (PATH, DISPLAY, DBUS_SESSION_BUS_ADDRESS, XDG_*). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The absolute path of `name` on PATH, or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a command to completion (bounded by `timeoutMs`); never throws. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000, detached = false): Promise<DesktopResult> {
  const shown = [command, ...args].join(' ');
  return new Promise((resolve) => {
    let stderr = '';
    let child;
    try {
      child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached });
    } catch (err) {
      resolve({ ok: false, command: shown, reason: (err as Error).message });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 2000) stderr += d.toString('utf8'); });
    child.on('error', (err) => { clearTimeout(timer); resolve({ ok: false, command: shown, reason: err.message }); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code === 0 ? { ok: true, command: shown } : { ok: false, command: shown, reason: `exit ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}` });
    });
  });
}

export interface Notification {
  title: string;
  body?: string;
  /** `critical` for failures (stays on screen), `normal` otherwise. */
  urgency?: 'low' | 'normal' | 'critical';
  /** The application name shown by the notification server. Default `Symphony`. */
  appName?: string;
}

/** Shows an OS notification: `notify-send` (libnotify, D-Bus) on Linux, `osascript` on macOS, a PowerShell balloon on Windows. */
export function notify(n: Notification, opts: DesktopEnv = {}): Promise<DesktopResult> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const app = n.appName ?? 'Symphony';
  if (platform === 'darwin') {
    const q = (s: string) => JSON.stringify(s);
    return run('osascript', ['-e', `display notification ${q(n.body ?? '')} with title ${q(n.title)}`], env);
  }
  if (platform === 'win32') {
    const ps = `Add-Type -AssemblyName System.Windows.Forms; $n = New-Object System.Windows.Forms.NotifyIcon; $n.Icon = [System.Drawing.SystemIcons]::Information; $n.Visible = $true; $n.ShowBalloonTip(5000, ${psQuote(n.title)}, ${psQuote(n.body ?? '')}, 'Info'); Start-Sleep -Seconds 5; $n.Dispose()`;
    return run('powershell.exe', ['-NoProfile', '-Command', ps], env, 15_000);
  }
  const tool = findExecutable('notify-send', env);
  if (!tool) return Promise.resolve({ ok: false, reason: 'notify-send not found (apt-get install libnotify-bin)' });
  if (!env.DBUS_SESSION_BUS_ADDRESS && !env.XDG_RUNTIME_DIR) return Promise.resolve({ ok: false, reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)' });
  // `--` ends the options: a title starting with "-" is text, not a flag.
  return run(tool, ['--app-name', app, '--urgency', n.urgency ?? 'normal', '--', n.title, ...(n.body ? [n.body] : [])], env);
}

const psQuote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Opens a file (or URL) in its default application: `xdg-open`, `open`, or `start`. */
export function openPath(path: string, opts: DesktopEnv = {}): Promise<DesktopResult> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  if (platform === 'darwin') return run('open', [path], env);
  if (platform === 'win32') return run('cmd.exe', ['/c', 'start', '""', path], env);
  const tool = findExecutable('xdg-open', env);
  if (!tool) return Promise.resolve({ ok: false, reason: 'xdg-open not found (apt-get install xdg-utils)' });
  return run(tool, [path], env);
}

/**
 * Shows a file selected in the file manager: the freedesktop `org.freedesktop.FileManager1.ShowItems`
 * D-Bus call on Linux (Files, Dolphin, Nemo, Thunar...), else its folder opened; `open -R` on
 * macOS; `explorer /select,` on Windows.
 */
export async function revealPath(path: string, opts: DesktopEnv = {}): Promise<DesktopResult> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  if (platform === 'darwin') return run('open', ['-R', path], env);
  if (platform === 'win32') return run('explorer.exe', [`/select,${path}`], env);
  const dbusSend = findExecutable('dbus-send', env);
  if (dbusSend && env.DBUS_SESSION_BUS_ADDRESS) {
    const uri = `file://${path.split('/').map(encodeURIComponent).join('/')}`;
    const shown = await run(dbusSend, ['--session', '--print-reply', '--dest=org.freedesktop.FileManager1', '/org/freedesktop/FileManager1', 'org.freedesktop.FileManager1.ShowItems', `array:string:${uri}`, 'string:'], env);
    if (shown.ok) return shown;
  }
  return openPath(dirname(path), opts);
}

/** What a `symphony://` link asks for: the web app's path (`symphony://runs/r1/steps/build` → `/runs/r1/steps/build`). */
export function parseDeepLink(link: string): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new Error(`not a symphony:// link: ${JSON.stringify(link.slice(0, 200))}`);
  }
  if (url.protocol !== 'symphony:') throw new Error(`not a symphony:// link: ${JSON.stringify(link.slice(0, 200))}`);
  // `symphony://runs/x` puts "runs" in the host; `symphony:///runs/x` and `symphony:runs/x` do not.
  const parts = [url.host, ...url.pathname.split('/')].filter(Boolean).map((p) => decodeURIComponent(p));
  const allowed = /^(?:runs(?:\/[^/]+(?:\/steps\/[^/]+)?)?|extensions|artifacts|motifs)$/;
  const clean = parts.map((p) => p.replace(/[^\w.@:-]/g, ''));
  if (clean.some((p) => p === '' || /^\.+$/.test(p) || p.includes('..'))) throw new Error(`unknown symphony:// link: ${JSON.stringify(link.slice(0, 200))}`);
  const path = clean.join('/');
  if (!allowed.test(path)) throw new Error(`unknown symphony:// link: ${JSON.stringify(link.slice(0, 200))}`);
  return `/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export interface ProtocolHandlerOptions extends DesktopEnv {
  /** The command line the desktop runs for a link; `%u` is replaced by the link. */
  exec: string;
  /** Where `.desktop` files go. Default `$XDG_DATA_HOME/applications` (`~/.local/share/applications`). */
  applicationsDir?: string;
  /** The entry's file name. Default `symphony.desktop`. */
  id?: string;
}

/**
 * Registers the `symphony://` scheme (Linux): writes a `.desktop` entry with
 * `MimeType=x-scheme-handler/symphony` and makes it the default handler (`xdg-mime default`).
 * Answers the entry's path; `ok: false` when `xdg-mime` is missing or refuses.
 */
export async function registerProtocolHandler(options: ProtocolHandlerOptions): Promise<DesktopResult & { entry?: string }> {
  const env = options.env ?? process.env;
  if ((options.platform ?? process.platform) !== 'linux') return { ok: false, reason: 'the symphony:// handler is registered by the installer on this platform' };
  const id = options.id ?? 'symphony.desktop';
  const dir = options.applicationsDir ?? join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share'), 'applications');
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, id);
  writeFileSync(entry, [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Symphony',
    'Comment=Run, watch and inspect Symphony workflows',
    `Exec=${options.exec}`,
    'Terminal=false',
    'Categories=Development;',
    'MimeType=x-scheme-handler/symphony;',
    'StartupWMClass=symphony',
    '',
  ].join('\n'), { mode: 0o644 });
  const xdgMime = findExecutable('xdg-mime', env);
  if (!xdgMime) return { ok: false, entry, reason: 'xdg-mime not found (apt-get install xdg-utils)' };
  const updated = findExecutable('update-desktop-database', env);
  if (updated) await run(updated, [dir], env);
  return { ...(await run(xdgMime, ['default', id, 'x-scheme-handler/symphony'], env)), entry };
}

export interface RunNotificationOptions extends DesktopEnv {
  /** Shown for each finished run; default `notify`. */
  show?: (n: Notification) => Promise<DesktopResult>;
  /** Called with each attempt's result (for logs). */
  onResult?: (result: DesktopResult, runId: string) => void;
}

/** Notifies when a run ends: "Run … succeeded" (normal) or "… failed" / "… cancelled" (critical). Returns the unhook. */
export function notifyRunEnds(hooks: Hooks<SymphonyHooks>, options: RunNotificationOptions = {}): () => void {
  const show = options.show ?? ((n: Notification) => notify(n, options));
  return hooks.hook('run:end', async (event) => {
    const ok = event.status === 'succeeded';
    const result = await show({
      title: `Run ${event.status}`,
      body: `${event.runId} in ${humanDuration(event.durationMs)}`,
      urgency: ok ? 'normal' : 'critical',
    });
    options.onResult?.(result, event.runId);
  });
}

/** `850 ms`, `12.3 s`, `4 min 5 s`, `2 h 3 min`. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
