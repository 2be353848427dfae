import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultHome } from '@symphony/config';
import { desktopServer, launchDesktop, openInRunningDesktop } from '@symphony/desktop';
import { parseDeepLink, registerProtocolHandler, type Hooks, type SymphonyHooks } from '@symphony/hooks';
import { serve } from '@symphony/server';
import { SymphonyError } from '@symphony/types';
import { openKernel } from '../kernel.js';

/** A command-line word for a `.desktop` Exec line (quoted when it has to be). */
const execWord = (s: string) => (/^[\w./@:=-]+$/.test(s) ? s : `"${s.replace(/(["`$\\])/g, '\\$1')}"`).replace(/%/g, '%%');

/**
 * `symphony desktop [--open symphony://runs/<id>] [--register] [--workflow f]... [--home dir]`:
 * the embedded server on a loopback port and Symphony's app window (an installed Chromium-family
 * browser with `--app`, else the default browser), logged in with a one-time code. Finished runs
 * show an OS notification. `--open` with a running desktop app shows the link there; `--register`
 * installs the `symphony://` handler (Linux: a .desktop entry). Closing the window stops the server.
 */
export async function desktopCli(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      home: { type: 'string' },
      open: { type: 'string' },
      register: { type: 'boolean', default: false },
      workflow: { type: 'string', multiple: true },
      'browser-arg': { type: 'string', multiple: true },
    },
  });
  const home = defaultHome({ flag: values.home });
  const browserArgs = values['browser-arg'] ?? [];
  if (values.register) {
    // The script running now (dist/cli.js, or the installed bin's target).
    const cli = resolve(process.argv[1] ?? 'symphony');
    const exec = [process.execPath, cli, 'desktop', '--home', home, ...browserArgs.flatMap((a) => ['--browser-arg', a]), '--open', '%u'].map((w) => (w === '%u' ? w : execWord(w))).join(' ');
    const r = await registerProtocolHandler({ exec });
    if (!r.ok) throw new SymphonyError('E_CONFIG_INVALID', `could not register the symphony:// handler: ${r.reason}`, { details: { entry: r.entry } });
    process.stdout.write(`symphony:// links open Symphony (${r.entry})\n`);
    return 0;
  }
  let path = '/runs';
  if (values.open) {
    try {
      path = parseDeepLink(values.open);
    } catch (err) {
      throw new SymphonyError('E_USAGE', (err as Error).message);
    }
  }
  // One desktop app per home: a second start (or a link) opens a window in the running one.
  if (await openInRunningDesktop(home, values.open ?? 'symphony://runs', { browserArgs })) return 0;

  const workflows = (values.workflow?.length ? values.workflow : ['workflows', join('examples', 'hotspots', 'workflow.yaml')]).map((p) => resolve(p)).filter((p) => existsSync(p));
  process.env.SYMPHONY_WORKSPACE ??= process.cwd();
  const { defaultExtensions } = await import('@symphony/web/host');
  const open = await openKernel({ home, logLevel: 'warn', extensionDirs: workflows.map((p) => join(statSync(p).isDirectory() ? p : dirname(p), 'extensions')), alsoTrust: [defaultExtensions] });
  let server: Awaited<ReturnType<typeof serve>>;
  try {
    // Loopback only, on a free port: nothing but this user's window talks to it.
    server = await serve({ kernel: open.kernel, home, host: '127.0.0.1', port: 0, web: {}, workflows });
  } catch (err) {
    await open.close();
    throw err;
  }
  const hooks = open.kernel.tryService<Hooks<SymphonyHooks>>('hooks');
  const app = await launchDesktop({
    server: desktopServer(server),
    home,
    path,
    browserArgs,
    ...(hooks ? { hooks } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const code = await app.exited;
  await app.close();
  await server.close('the desktop window closed');
  if (code) {
    // It never showed a window (e.g. Chromium as root without --no-sandbox, or no display).
    throw new SymphonyError('E_DESKTOP_NO_BROWSER', `the browser exited with code ${code}; set SYMPHONY_BROWSER, pass --browser-arg flags it needs, or check DISPLAY`, { details: { code } });
  }
  return 0;
}
