import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createMarketplace, type ConsentRequest, type Marketplace } from '../src/index.js';
import { startRegistry, tempDir } from './fixtures.js';

let reg: Awaited<ReturnType<typeof startRegistry>>;

beforeAll(async () => {
  reg = await startRegistry();
}, 30_000);

afterAll(async () => {
  await reg.close();
});

async function hello(mkt: Marketplace, id: string): Promise<string> {
  const mod = await import(`${pathToFileURL(join(mkt.extensionsDir, id, 'dist', 'index.js')).href}?t=${Math.random()}`);
  return mod.default.methods.hello();
}

describe('update', () => {
  it('moves to compatible versions, needs new consent for new permissions, and rolls back a failed start', async () => {
    await reg.publish({ id: 'acme.upd', version: '1.0.0', permissions: { fs: { read: ['${workspace}'] } } });
    const consents: ConsentRequest[][] = [];
    let allow = true;
    const home = await tempDir('home');
    const mkt = await createMarketplace({ home, registries: [reg.url], consent: (r) => (consents.push(r), allow) });
    await mkt.trust('acme', ['acme'], reg.acme.publicKey);
    await mkt.install('acme.upd');
    expect(await hello(mkt, 'acme.upd')).toBe('acme.upd@1.0.0');

    await reg.publish({ id: 'acme.upd', version: '1.1.0', permissions: { fs: { read: ['${workspace}'] } } });
    await reg.publish({ id: 'acme.upd', version: '2.0.0' });
    expect(await mkt.outdated()).toEqual([{ id: 'acme.upd', current: '1.0.0', wanted: '1.1.0', latest: '2.0.0' }]);
    consents.length = 0;
    const same = await mkt.update();
    expect(same.updated).toEqual([{ id: 'acme.upd', from: '1.0.0', to: '1.1.0' }]);
    expect(consents).toEqual([]); // same permissions: nothing to ask
    expect(await hello(mkt, 'acme.upd')).toBe('acme.upd@1.1.0');

    // 1.2.0 asks for the network as well: an escalation.
    await reg.publish({ id: 'acme.upd', version: '1.2.0', permissions: { fs: { read: ['${workspace}'] }, net: { hosts: ['api.example.com'] } } });
    allow = false;
    await expect(mkt.update(['acme.upd'])).rejects.toMatchObject({ code: 'E_CONSENT_REQUIRED' });
    expect(consents.at(-1)).toEqual([expect.objectContaining({ id: 'acme.upd', version: '1.2.0', previousVersion: '1.1.0', added: ['net.hosts: api.example.com'] })]);
    expect(await hello(mkt, 'acme.upd')).toBe('acme.upd@1.1.0');
    allow = true;
    await mkt.update(['acme.upd']);
    expect(await hello(mkt, 'acme.upd')).toBe('acme.upd@1.2.0');

    // 1.3.0 is broken: its entry module throws on import. The update must roll back.
    await reg.publish({ id: 'acme.upd', version: '1.3.0', permissions: { fs: { read: ['${workspace}'] }, net: { hosts: ['api.example.com'] } }, code: 'throw new Error("boom at start");\n' });
    const error = await mkt.update().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_INSTALL_ROLLED_BACK', details: { changed: ['acme.upd@1.3.0'] } });
    expect((error as Error).message).toContain('boom at start');
    expect((await mkt.list()).map((e) => `${e.id}@${e.version}`)).toEqual(['acme.upd@1.2.0']);
    expect(await hello(mkt, 'acme.upd')).toBe('acme.upd@1.2.0');

    // 1.4.0 imports fine but exports no definition: refused at the start check too.
    await reg.publish({ id: 'acme.upd', version: '1.4.0', permissions: { fs: { read: ['${workspace}'] }, net: { hosts: ['api.example.com'] } }, code: 'export default { methods: {} };\n' });
    await expect(mkt.update()).rejects.toMatchObject({ code: 'E_INSTALL_ROLLED_BACK', message: expect.stringContaining('exports no extension definition') });
    expect(await hello(mkt, 'acme.upd')).toBe('acme.upd@1.2.0');
  }, 30_000); // six operations, each starting the changed extension in its sandbox
});

function runChild(args: string[]): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGTERM'), 30_000);
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ signal, stdout });
    });
  });
}

describe('an install killed half-way', () => {
  const child = fileURLToPath(new URL('./install-child.mjs', import.meta.url));

  for (const step of ['downloaded', 'staged', 'committed'] as const) {
    it(`leaves a working installation when killed after "${step}"`, async () => {
      await reg.publish({ id: `acme.kill-${step}`, version: '1.0.0' }).catch(() => undefined);
      await reg.publish({ id: `acme.kill-${step}`, version: '2.0.0' }).catch(() => undefined);
      const id = `acme.kill-${step}`;
      const home = await tempDir('home');
      const mkt = await createMarketplace({ home, registries: [reg.url] });
      await mkt.trust('acme', ['acme'], reg.acme.publicKey);
      await mkt.install(`${id}@1.0.0`);

      // Asynchronous spawn: the registry serving the child lives in this process.
      const run = await runChild([child, home, reg.url, `${id}@2.0.0`, step]);
      expect(run.signal).toBe('SIGKILL');
      expect(run.stdout).not.toContain('installed');

      // The killed process left its lock and (maybe) staging behind; a new marketplace copes.
      const again = await createMarketplace({ home, registries: [reg.url] });
      const installed = (await again.list()).map((e) => `${e.id}@${e.version}`);
      // Killed before the switch: the old version. After it: the new one, complete.
      expect(installed).toEqual([step === 'committed' ? `${id}@2.0.0` : `${id}@1.0.0`]);
      expect(await hello(again, id)).toBe(installed[0]);
      expect(await readdir(join(home, '.marketplace', 'staging'))).toEqual([]);
      const lock = JSON.parse(await readFile(again.lockfilePath, 'utf8'));
      expect(Object.keys(lock.extensions)).toEqual([id]);

      await again.install(`${id}@2.0.0`);
      expect(await hello(again, id)).toBe(`${id}@2.0.0`);
    });
  }
});
