import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingTools, startDesktopSession, waitFor } from './desktop-session.js';
import { createHooks, humanDuration, notify, notifyRunEnds, openPath, parseDeepLink, registerProtocolHandler, revealPath, type SymphonyHooks } from '../src/index.js';

describe('deep links and durations', () => {
  it('symphony:// links become the web app paths; anything else is refused', () => {
    expect(parseDeepLink('symphony://runs')).toBe('/runs');
    expect(parseDeepLink('symphony://runs/r-1')).toBe('/runs/r-1');
    expect(parseDeepLink('symphony://runs/r-1/steps/build')).toBe('/runs/r-1/steps/build');
    expect(parseDeepLink('symphony:///runs/r-1/')).toBe('/runs/r-1');
    expect(parseDeepLink('symphony://extensions')).toBe('/extensions');
    // The URL parser resolves dot segments: this cannot climb anywhere.
    expect(parseDeepLink('symphony://runs/..')).toBe('/runs');
    for (const bad of ['http://runs/x', 'symphony://admin', 'symphony://runs/a/b/c', 'symphony://runs/..%2F..%2Fetc', 'not a url', 'symphony://runs/x/steps/y/z']) {
      expect(() => parseDeepLink(bad), bad).toThrow(/symphony:\/\//);
    }
    // Characters outside a run id's alphabet are dropped, never passed to the shell or the URL.
    expect(parseDeepLink('symphony://runs/r1%22%3Balert(1)')).toBe('/runs/r1alert1');
  });

  it('durations read as a person would say them', () => {
    expect(humanDuration(850)).toBe('850 ms');
    expect(humanDuration(2632)).toBe('2.6 s');
    expect(humanDuration(245_000)).toBe('4 min 5 s');
    expect(humanDuration(7_380_000)).toBe('2 h 3 min');
    expect(humanDuration(-1)).toBe('—');
  });
});

const need = missingTools();
if (need.length) console.warn(`[hooks] desktop integration tests skipped: missing ${need.join(', ')} (apt-get install xvfb dbus libnotify-bin dunst xdg-utils)`);

describe.skipIf(need.length > 0)('desktop integration on a real D-Bus session and xdg-utils (Linux)', () => {
  let session: Awaited<ReturnType<typeof startDesktopSession>>;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    session = await startDesktopSession();
    ({ dir, env } = session);
  }, 30_000);
  afterAll(() => session?.stop());

  it('a finished run shows a notification: libnotify\'s Notify call with the title reaches the session bus', async () => {
    const hooks = createHooks<SymphonyHooks>();
    const results: Array<boolean | string> = [];
    notifyRunEnds(hooks, { env, onResult: (r) => results.push(r.ok || (r.reason ?? '')) });
    await hooks.callHook('run:end', { runId: 'run-desk-1', status: 'failed', durationMs: 2632, at: Date.now() });
    await waitFor(() => /member=Notify/.test(session.notifications()) && session.notifications().includes('run-desk-1 in 2.6 s'), 'the Notify call on the bus');
    const out = session.notifications();
    expect(out).toContain('"Run failed"');
    expect(out).toContain('"Symphony"');
    // The urgency hint: critical (2) for a failure.
    expect(out).toMatch(/"urgency"\s*variant\s*byte 2/);
    expect(results).toEqual([true]);
    // A title that looks like a flag is text, not an option.
    await notify({ title: '--help', body: 'x' }, { env });
    await waitFor(() => session.notifications().includes('"--help"'), 'a title starting with --');
  });

  it('without a session bus the notification reports why instead of throwing', async () => {
    const r = await notify({ title: 't' }, { env: { PATH: env.PATH }, platform: 'linux' });
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/D-Bus/);
  });

  it('notify-send missing: a clear reason', async () => {
    const r = await notify({ title: 't' }, { env: { ...env, PATH: '/nonexistent' } });
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/notify-send not found/) });
  });

  it('symphony:// links, files and folders go to the registered handlers through xdg-open', async () => {
    // A handler that records what it was asked to open, registered as the real thing would be.
    const handler = join(dir, 'handler.sh');
    writeFileSync(handler, `#!/bin/sh\nprintf '%s\\n' "$1" >> ${join(dir, 'opened.txt')}\n`);
    chmodSync(handler, 0o755);
    const reg = await registerProtocolHandler({ exec: `${handler} %u`, env });
    expect(reg.ok, reg.reason).toBe(true);
    const entry = readFileSync(reg.entry!, 'utf8');
    expect(entry).toContain('MimeType=x-scheme-handler/symphony;');
    expect(entry).toContain(`Exec=${handler} %u`);
    const opened = await openPath('symphony://runs/r-9/steps/build', { env });
    expect(opened.ok, opened.reason).toBe(true);
    await waitFor(() => existsSync(join(dir, 'opened.txt')) && readFileSync(join(dir, 'opened.txt'), 'utf8').includes('symphony://runs/r-9/steps/build'), 'the handler to run');

    // A folder (reveal falls back to opening the folder when no FileManager1 is on the bus).
    await registerProtocolHandler({ exec: `${handler} %u`, env, id: 'files.desktop' });
    const mimeapps = join(dir, 'config', 'mimeapps.list');
    writeFileSync(mimeapps, `${readFileSync(mimeapps, 'utf8')}inode/directory=files.desktop\ntext/markdown=files.desktop\ntext/plain=files.desktop\n`);
    const report = join(dir, 'artifacts', 'report.md');
    mkdirSync(join(dir, 'artifacts'));
    writeFileSync(report, '# report\n');
    expect((await revealPath(report, { env })).ok).toBe(true);
    expect((await openPath(report, { env })).ok).toBe(true);
    await waitFor(() => {
      const lines = readFileSync(join(dir, 'opened.txt'), 'utf8');
      return lines.includes(`${join(dir, 'artifacts')}\n`) && lines.includes(`${report}\n`);
    }, 'the folder and the file to be opened');
  });
});
