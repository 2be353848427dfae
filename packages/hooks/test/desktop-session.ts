import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../src/index.js';

/** Tools a desktop session for the tests needs (Debian: xvfb dbus libnotify-bin dunst xdg-utils). */
export const SESSION_TOOLS = ['Xvfb', 'dbus-daemon', 'dbus-monitor', 'dbus-send', 'notify-send', 'dunst', 'xdg-open', 'xdg-mime'];
export const missingTools = () => SESSION_TOOLS.filter((t) => !findExecutable(t));

/** Starts a process; resolves with the first match of `re` in its stdout. */
function startAndRead(cmd: string, args: string[], env: NodeJS.ProcessEnv, re: RegExp) {
  return new Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }>((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error(`${cmd} printed nothing matching ${re}: ${out}`)); }, 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, match: m, output: () => out }); }
    });
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, tries = 150): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A throwaway desktop: an X server (Xvfb), a private D-Bus session bus (no service activation),
 * a notification server (dunst) on it, `dbus-monitor` recording notifications, and XDG folders
 * in a temp dir. `env` is what a process in that desktop sees.
 */
export async function startDesktopSession() {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-desktop-'));
  const children: ChildProcess[] = [];
  try {
    const x = await startAndRead('Xvfb', ['-displayfd', '1', '-nolisten', 'tcp', '-screen', '0', '1280x800x24'], process.env, /^(\d+)\n/m);
    children.push(x.child);
    const config = join(dir, 'bus.conf');
    writeFileSync(config, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir=${dir}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`);
    const bus = await startAndRead('dbus-daemon', ['--config-file', config, '--nofork', '--print-address=1'], process.env, /^(unix:\S+)\n/m);
    children.push(bus.child);
    mkdirSync(join(dir, 'config'), { recursive: true });
    mkdirSync(join(dir, 'share', 'applications'), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: dir, DISPLAY: `:${x.match[1]}`, DBUS_SESSION_BUS_ADDRESS: bus.match[1],
      XDG_DATA_HOME: join(dir, 'share'), XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_DIRS: join(dir, 'share'),
      XDG_RUNTIME_DIR: dir, XDG_CURRENT_DESKTOP: '', BROWSER: '/bin/false', LANG: 'C.UTF-8',
    };
    const monitor = await startAndRead('dbus-monitor', ['--address', bus.match[1]!, "interface='org.freedesktop.Notifications'"], env, /NameAcquired|NameLost|signal|method/);
    children.push(monitor.child);
    const dunst = spawn('dunst', [], { env, stdio: 'ignore' });
    children.push(dunst);
    await waitFor(() => {
      try {
        return /boolean true/.test(execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.Notifications'], { env, encoding: 'utf8' }));
      } catch {
        return false;
      }
    }, 'the notification server on the bus');
    return {
      dir,
      env,
      display: env.DISPLAY as string,
      notifications: () => monitor.output(),
      stop() {
        for (const c of children.reverse()) c.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const c of children) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
