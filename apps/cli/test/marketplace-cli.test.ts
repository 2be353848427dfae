import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { symphony } from './cli-harness.js';

// The marketplace's own fixture: a real @symphony/registry server on 127.0.0.1 that signed
// packages are published to (imported by URL: it lives in another package's tests).
interface Fixture {
  url: string;
  acme: { publicKey: string };
  publish(ext: { id: string; version: string; permissions?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}
const FIXTURES = new URL('../../../packages/marketplace/test/fixtures.ts', import.meta.url).href;
const startRegistry = async (): Promise<Fixture> => ((await import(FIXTURES)) as { startRegistry(): Promise<Fixture> }).startRegistry();

// Issue 17's marketplace promises through the built CLI: `ext info id@version` shows what a user
// reviews before consenting, `outdated`/`update` use the registry the lockfile recorded, and
// `update id@latest` moves to the newest version.
let reg: Fixture;
const dir = mkdtempSync(join(tmpdir(), 'symphony-cli-mkt-'));
const home = join(dir, 'home');
const cwd = join(dir);
// No registry from the environment: only flags and the lockfile say where to look.
const env = { SYMPHONY_REGISTRY: '', SYMPHONY_HOME: home };

beforeAll(async () => {
  reg = await startRegistry();
  await reg.publish({ id: 'acme.mkt', version: '1.0.0', permissions: { fs: { read: ['${workspace}'] } } });
  await reg.publish({ id: 'acme.mkt', version: '1.1.0', permissions: { fs: { read: ['${workspace}'] } } });
}, 60_000);

afterAll(async () => {
  await reg?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('symphony ext against a running registry', () => {
  it('info id@version, install id@version, outdated and update id@latest from the lockfile registry', async () => {
    const trust = await symphony(['ext', 'trust', 'acme', '--namespace', 'acme', `--key=${reg.acme.publicKey}`], { cwd, env });
    expect(trust.code, trust.stderr).toBe(0);

    const info = await symphony(['ext', 'info', 'acme.mkt@1.0.0', '--registry', reg.url], { cwd, env });
    expect(info.code, info.stderr).toBe(0);
    for (const shown of ['acme.mkt', 'acme', 'acme.mkt for tests', '1.0.0', '1.1.0', 'fs.read: ${workspace}']) expect(info.stdout).toContain(shown);

    const install = await symphony(['ext', 'install', 'acme.mkt@1.0.0', '--registry', reg.url, '--yes'], { cwd, env });
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('+ acme.mkt@1.0.0');

    // No --registry from here on: the lockfile remembers where acme.mkt came from.
    const outdated = await symphony(['ext', 'outdated', '--json'], { cwd, env });
    expect(outdated.code, outdated.stderr).toBe(0);
    expect(JSON.parse(outdated.stdout)).toEqual([expect.objectContaining({ id: 'acme.mkt', current: '1.0.0', latest: '1.1.0' })]);

    const update = await symphony(['ext', 'update', 'acme.mkt@latest', '--yes'], { cwd, env });
    expect(update.code, `${update.stdout}${update.stderr}`).toBe(0);
    const list = await symphony(['ext', 'list', '--json'], { cwd, env });
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: 'acme.mkt', version: '1.1.0' })]);

    // A version that does not exist is E_NOT_FOUND (exit 1), naming it.
    const missing = await symphony(['ext', 'info', 'acme.mkt@9.9.9', '--registry', reg.url], { cwd, env });
    expect(missing.code).toBe(1);
    expect(`${missing.stdout}${missing.stderr}`).toContain('9.9.9');
  }, 120_000);

  it('search with no words lists every extension of the registry, in pages of --limit', async () => {
    await reg.publish({ id: 'acme.zeta', version: '0.1.0' });
    const all = await symphony(['ext', 'search', '--registry', reg.url, '--json'], { cwd, env });
    expect(all.code, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as Array<{ id: string; version: string }>).map((h) => `${h.id}@${h.version}`).sort()).toEqual(['acme.mkt@1.1.0', 'acme.zeta@0.1.0']);
    const text = await symphony(['ext', 'search', '--registry', reg.url], { cwd, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('acme.zeta@0.1.0  acme.zeta for tests');
    expect(text.stdout).toContain('acme.mkt@1.1.0');
    // A page of one says there is more to see.
    const page = await symphony(['ext', 'search', '--registry', reg.url, '--limit', '1'], { cwd, env });
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout.trim().split('\n')).toHaveLength(1);
    expect(page.stderr).toContain('--limit 2');
    // Words still narrow it; nothing found says so; a bad --limit is a usage error.
    const one = await symphony(['ext', 'search', 'zeta', '--registry', reg.url, '--json'], { cwd, env });
    expect((JSON.parse(one.stdout) as Array<{ id: string }>).map((h) => h.id)).toEqual(['acme.zeta']);
    const none = await symphony(['ext', 'search', 'nothing-like-it', '--registry', reg.url], { cwd, env });
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'no extension matches "nothing-like-it"\n']);
    expect((await symphony(['ext', 'search', '--registry', reg.url, '--limit', 'lots'], { cwd, env })).code).toBe(2);
  }, 60_000);
});
