import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { stagePlugin } from '@symphony/extension-loader';
import { createAuditLog, createGrantStore, createSandbox, sandboxPlugin, type SandboxService } from '../src/index.js';
import { tempDir } from './helpers.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
let root: { dir: string; cleanup: () => void };
let ws: string;

beforeEach(() => {
  root = tempDir();
  ws = join(root.dir, 'ws');
  mkdirSync(join(ws, 'out'), { recursive: true });
});
afterEach(() => root.cleanup());

describe('grant store', () => {
  it('persists grants and revocations per id@version across reopen, and resets them', () => {
    const file = join(root.dir, 'home', 'grants.json');
    const store = createGrantStore(file);
    const v1 = { id: 'acme.csv', version: '1.0.0' };
    store.grant(v1, 'net', 'api.example.com:443');
    store.revoke(v1, 'fs.write', '${workspace}');
    const reopened = createGrantStore(file);
    expect(reopened.list(v1).map((r) => [r.permission, r.value, r.effect])).toEqual([
      ['net', 'api.example.com:443', 'allow'],
      ['fs.write', '${workspace}', 'deny'],
    ]);
    expect(reopened.list({ id: 'acme.csv', version: '1.1.0' })).toEqual([]);
    expect(reopened.asRequests(v1)).toMatchObject({ granted: { net: ['api.example.com:443'] }, revoked: { fs: { write: ['${workspace}'] } } });
    expect(reopened.reset(v1, 'net')).toBe(1);
    expect(createGrantStore(file).list(v1)).toHaveLength(1);
  });

  it('refuses to start from a corrupt file rather than silently dropping revocations', () => {
    const file = join(root.dir, 'grants.json');
    writeFileSync(file, '{ not json');
    expect(() => createGrantStore(file)).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID', details: { path: file } }));
    expect(() => createGrantStore(join(root.dir, 'ok.json')).grant({ id: 'a.b', version: '1.0.0' }, 'teleport' as never, 'x')).toThrow(/Unknown permission/);
  });
});

describe('audit log', () => {
  it('appends JSON lines, filters them, and skips a torn last line', () => {
    const file = join(root.dir, 'audit.jsonl');
    const log = createAuditLog(file);
    log.append({ kind: 'deny', extensionId: 'a.b', version: '1.0.0', operation: 'fs.read', target: '/etc/passwd', rule: 'default-deny' });
    log.append({ kind: 'limit', extensionId: 'c.d', version: '2.0.0', operation: 'run', target: 'pid 1', rule: 'limits.memoryMb=64' });
    appendFileSync(file, '{"kind":"deny","exten');
    expect(log.read().map((e) => e.kind)).toEqual(['deny', 'limit']);
    expect(log.read({ extensionId: 'c.d' })).toEqual([expect.objectContaining({ rule: 'limits.memoryMb=64', time: expect.any(String) })]);
    expect(log.read({ limit: 1 })[0]!.extensionId).toBe('c.d');
    log.close();
    expect(() => log.append({ kind: 'deny', extensionId: 'a.b', version: '1', operation: 'x', target: 'y', rule: 'z' })).toThrow(/closed/);
  });
});

describe('the sandbox service', () => {
  let sandbox: SandboxService;
  beforeEach(() => {
    sandbox = createSandbox({ home: join(root.dir, 'home'), workspace: ws, bubblewrap: 'off', deny: { fs: { read: ['${workspace}/private'] } } });
    sandbox.register({ id: 'acme.csv', version: '1.0.0', permissions: { fs: { read: ['${workspace}'], write: ['${workspace}/out'] } } });
  });
  afterEach(() => sandbox.close());

  it('enforce: allows, denies with E_PERMISSION_DENIED, and audits only the denial', () => {
    expect(sandbox.enforce('acme.csv', { kind: 'fs.write', path: 'out/x.csv' }).target).toBe(join(ws, 'out', 'x.csv'));
    expect(() => sandbox.enforce('acme.csv', { kind: 'fs.write', path: 'x.csv' })).toThrow(expect.objectContaining({ code: 'E_PERMISSION_DENIED', details: expect.objectContaining({ extensionId: 'acme.csv', rule: 'default-deny', path: join(ws, 'x.csv') }) }));
    expect(sandbox.check('acme.csv', { kind: 'fs.read', path: 'private/key' })).toMatchObject({ allow: false, rule: 'host.fs.read[0]' });
    expect(sandbox.audit.read().map((e) => [e.kind, e.operation, e.rule])).toEqual([
      ['deny', 'fs.write', 'default-deny'],
      ['deny', 'fs.read', 'host.fs.read[0]'],
    ]);
  });

  it('a grant or revocation takes effect at once and is audited', () => {
    const ext = { id: 'acme.csv', version: '1.0.0' };
    expect(sandbox.check('acme.csv', { kind: 'net', host: 'api.example.com', port: 443 }).allow).toBe(false);
    sandbox.grants.grant(ext, 'net', 'api.example.com:443');
    expect(sandbox.check('acme.csv', { kind: 'net', host: 'api.example.com', port: 443 })).toMatchObject({ allow: true, rule: 'grant.net[0]' });
    sandbox.grants.revoke(ext, 'fs.read', '${workspace}');
    expect(sandbox.check('acme.csv', { kind: 'fs.read', path: 'out/x.csv' })).toMatchObject({ allow: false, rule: 'grant.fs.read[0]' });
    expect(sandbox.audit.read({ kind: 'grant' })).toEqual([expect.objectContaining({ target: 'net api.example.com:443', rule: 'user' })]);
    expect(sandbox.audit.read({ kind: 'revoke' })).toEqual([expect.objectContaining({ target: 'fs.read ${workspace}' })]);
  });

  it('an unknown extension is refused, and so is an untrusted one in worker mode', () => {
    expect(() => sandbox.enforce('nobody.here', { kind: 'worker' })).toThrow(expect.objectContaining({ code: 'E_PERMISSION_DENIED', details: { extensionId: 'nobody.here' } }));
    expect(() => sandbox.assertIsolation('acme.csv', 'worker')).toThrow(/Refusing to run acme\.csv@1\.0\.0 in worker mode/);
    expect(() => sandbox.assertIsolation('acme.csv', 'process')).not.toThrow();
    sandbox.register({ id: 'acme.fast', version: '1.0.0', trusted: true });
    expect(() => sandbox.assertIsolation('acme.fast', 'worker')).not.toThrow();
    expect(sandbox.audit.read({ kind: 'refuse' })).toEqual([expect.objectContaining({ extensionId: 'acme.csv', target: 'worker', rule: 'untrusted-in-worker' })]);
  });

  it('limits: defaults, overrides, and nonsense refused with the field named', () => {
    expect(sandbox.callLimits('acme.csv')).toEqual({ timeoutMs: 30_000, maxPayloadBytes: 16 * 1024 * 1024, maxInFlight: 16 });
    sandbox.register({ id: 'acme.bad', version: '1.0.0', limits: { memoryMb: -1 } });
    expect(() => sandbox.limits('acme.bad')).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID', details: { path: 'limits.memoryMb', value: -1 } }));
  });
});

describe('the kernel plugin', () => {
  it('works in either registration order: the stage finds the sandbox when it launches', async () => {
    const kernel = createKernel({
      plugins: [stagePlugin, sandboxPlugin],
      config: { pluginOptions: { sandbox: { home: join(root.dir, 'home'), workspace: ws, bubblewrap: 'off' }, stage: { dirs: [join(fixtures, 'escaper')] } } },
    });
    await kernel.start();
    try {
      await expect(kernel.service('stage').call('evil.escaper/readPasswd')).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
      expect(kernel.service('sandbox').audit.read({ kind: 'deny' }).map((e) => `${e.operation} ${e.target}`)).toEqual(['fs.read /etc/passwd']);
    } finally {
      await kernel.stop();
    }
  });
});

describe('worker mode through the real stage', () => {
  const boot = (trusted: string[]) =>
    createKernel({
      plugins: [sandboxPlugin, stagePlugin],
      config: {
        pluginOptions: {
          sandbox: { home: join(root.dir, 'home'), workspace: ws, bubblewrap: 'off', trusted },
          stage: { dirs: [join(fixtures, 'escaper')], trusted: ['evil.escaper'], restart: { maxCrashes: 10, backoffMs: 10 } },
        },
      },
    });

  it('an extension the stage would run in a worker is refused unless the embedder marks it trusted', async () => {
    const refusing = boot([]);
    await refusing.start();
    const error = await refusing.service('stage').call('evil.escaper/ping').catch((e: unknown) => e);
    const { code, message, cause } = error as { code: string; message: string; cause?: { code?: string } };
    expect(code).toBe('E_EXTENSION_START');
    expect(message).toMatch(/Refusing to run evil\.escaper@1\.0\.0 in worker mode/);
    expect(cause?.code).toBe('E_PERMISSION_DENIED');
    expect(refusing.service('sandbox').audit.read({ kind: 'refuse' }).length).toBeGreaterThanOrEqual(1);
    await refusing.stop();

    const trusting = boot(['evil.escaper']);
    await trusting.start();
    expect(await trusting.service('stage').call('evil.escaper/ping')).toBe('pong');
    await trusting.stop();
  });
});
