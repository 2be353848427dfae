/**
 * Attacks by an outsider on issue 15's promises, through the real install path (packed, signed,
 * published to a registry on 127.0.0.1, trusted, installed with the sandboxed start check), then
 * started by the real stage with bubblewrap and in degraded mode (no bubblewrap, where the
 * in-process layer is the wall the README names):
 * - `process._debugProcess(ppid)` sent SIGUSR1 to the host below the guarded `process.kill`,
 *   opening the host's inspector on 127.0.0.1:9229;
 * - a manifest grant of `fs.read: /` read the home's `tokens.json`, although the README says the
 *   in-process layer refuses the home whatever the grants say;
 * - under bubblewrap the same extension could not even start (`/` was bound over the runtime's
 *   links: "bwrap: Can't make symlink at /bin"), pushing users to degraded mode.
 */
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '@symphony/kernel';
import { createStagePlugin } from '@symphony/extension-loader';
import { probeBubblewrap, sandboxPlugin } from '@symphony/sandbox';
import { createMarketplace } from '../src/index.js';
import { startRegistry, tempDir } from './fixtures.js';

const source = (version: string) => `import fs from 'node:fs';
const methods = {
  debugHost: () => { process._debugProcess(process.ppid); return 'sent'; },
  list: ({ path }) => fs.readdirSync(path),
  read: ({ path }) => fs.readFileSync(path, 'utf8'),
  write: ({ path }) => { fs.writeFileSync(path, 'x'); return 'written'; },
  ping: () => 'pong',
};
export default { [Symbol.for('symphony.extension')]: true, kind: 'operator', manifest: { id: 'acme.wide', version: ${JSON.stringify(version)}, kind: 'operator' }, methods, dispatch: (m, i) => methods[m](i) };
`;

const bwrap = probeBubblewrap();
let reg: Awaited<ReturnType<typeof startRegistry>>;
let root: string;
let usr1 = 0;
const onUsr1 = () => void usr1++;

beforeAll(async () => {
  // A listener replaces Node's default SIGUSR1 action (opening this process's inspector) and counts.
  process.on('SIGUSR1', onUsr1);
  reg = await startRegistry();
  root = realpathSync(await tempDir('outsider'));
  await reg.publish({ id: 'acme.wide', version: '1.0.0', permissions: { fs: { read: ['/'], write: ['${workspace}'] } }, code: source('1.0.0') });
}, 60_000);

afterAll(async () => {
  await reg?.close();
  process.off('SIGUSR1', onUsr1);
  if (root) rmSync(root, { recursive: true, force: true });
});

const modes = [
  { name: 'degraded (no bubblewrap)', bubblewrap: 'off' as const, skip: false },
  { name: 'with bubblewrap', bubblewrap: 'require' as const, skip: !bwrap.available },
];

describe.each(modes)('a hostile extension granted fs.read: /, installed through the real path, $name', { timeout: 30_000 }, ({ bubblewrap, skip }) => {
  let home: string;
  let ws: string;
  let kernel: Kernel;
  const call = (method: string, input: unknown = {}) => kernel.service('stage').call(`acme.wide/${method}`, input, { timeoutMs: 15_000 });
  const denials = () => kernel.service('sandbox').audit.read({ extensionId: 'acme.wide', kind: 'deny' });

  beforeAll(async () => {
    if (skip) return;
    home = join(root, `home-${bubblewrap}`);
    ws = join(root, `ws-${bubblewrap}`);
    mkdirSync(ws, { recursive: true });
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'tokens.json'), '{"admin":"secret-token"}');
    const mkt = await createMarketplace({ home, registries: [reg.url], consent: () => true, workspace: ws, bubblewrap });
    await mkt.trust('acme', ['acme'], reg.acme.publicKey);
    await mkt.install('acme.wide@1.0.0'); // the sandboxed start check: under bubblewrap this failed
    kernel = createKernel({
      plugins: [sandboxPlugin, createStagePlugin({ dirs: [{ path: join(home, 'extensions'), mode: 'process' }] })],
      config: { pluginOptions: { sandbox: { home, workspace: ws, bubblewrap } } },
    });
    await kernel.start();
  }, 60_000);
  afterAll(async () => {
    await kernel?.stop();
  });

  it.skipIf(skip)('process._debugProcess(host) is refused (E_PERMISSION_DENIED, audited): no SIGUSR1 reaches the host', async () => {
    await expect(call('debugHost')).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    await expect(call('ping')).resolves.toBe('pong');
    expect(usr1).toBe(0);
    expect(denials().some((e) => e.operation === 'inspector')).toBe(true);
  });

  it.skipIf(skip)('it starts, reads the workspace, and never reads, lists or writes the home', async () => {
    writeFileSync(join(ws, 'data.txt'), 'mine');
    await expect(call('read', { path: join(ws, 'data.txt') })).resolves.toBe('mine');
    await expect(call('read', { path: join(home, 'tokens.json') })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    await expect(call('list', { path: home })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    await expect(call('list', { path: join(home, '.marketplace', 'store') })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    await expect(call('write', { path: join(home, 'grants.json') })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    expect(denials().some((e) => e.target === join(home, 'tokens.json'))).toBe(true);
  });
});
