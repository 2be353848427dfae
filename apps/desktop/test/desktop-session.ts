import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { findExecutable } from '@symphony/hooks';

/** Tools a desktop session for the tests needs (Debian: xvfb dbus libnotify-bin dunst xdg-utils). */
export const SESSION_TOOLS = ['xwd', 'xwininfo', 'Xvfb', 'dbus-daemon', 'dbus-monitor', 'dbus-send', 'notify-send', 'dunst', 'xdg-open', 'xdg-mime'];
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

/** An X window dump (`xwd`, 24/32 bits per pixel, TrueColor) as a PNG, with no image tools installed. */
export function xwdToPng(xwd: Buffer): Buffer {
  const u32 = (o: number) => xwd.readUInt32BE(o);
  const headerSize = u32(0);
  const [width, height, byteOrder, bpp, bytesPerLine, ncolors] = [u32(16), u32(20), u32(28), u32(44), u32(48), u32(76)];
  const masks = [u32(56), u32(60), u32(64)];
  if (bpp !== 32 && bpp !== 24) throw new Error(`xwd: ${bpp} bits per pixel is not supported`);
  const data = headerSize + ncolors * 12;
  const shift = (m: number) => Math.log2(m & -m);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const o = data + y * bytesPerLine + x * (bpp / 8);
      const px = bpp === 32 ? (byteOrder === 0 ? xwd.readUInt32LE(o) : xwd.readUInt32BE(o)) : (byteOrder === 0 ? xwd.readUIntLE(o, 3) : xwd.readUIntBE(o, 3));
      const at = y * (width * 3 + 1) + 1 + x * 3;
      for (let c = 0; c < 3; c++) raw[at + c] = ((px & masks[c]!) >>> shift(masks[c]!)) & 0xff;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const v of b) c = crcTable[(c ^ v) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(tb));
    return Buffer.concat([len, tb, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
