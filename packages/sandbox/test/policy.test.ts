import { existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { createPermissionSet, createPolicy, expandPathVariables, resolveReal, type Policy } from '../src/index.js';
import { layout, tempDir } from './helpers.js';

let root: { dir: string; cleanup: () => void };
let paths: ReturnType<typeof layout>;
let policy: Policy;

beforeEach(() => {
  root = tempDir();
  paths = layout(root.dir);
  writeFileSync(join(paths.outside, 'secret.txt'), 'secret');
  writeFileSync(join(paths.workspace, 'data.csv'), 'a,b\n1,2\n');
  mkdirSync(join(paths.workspace, 'out'));
  policy = createPolicy({
    manifest: createPermissionSet(
      {
        fs: { read: ['${workspace}', '${extension}/assets/**/*.json'], write: ['${workspace}/out'] },
        net: ['api.example.com:443', '*.internal'],
        child_process: ['git'],
        env: ['HOME', 'ACME_*'],
      },
      paths,
    ),
    cwd: paths.workspace,
  });
});
afterEach(() => root.cleanup());

describe('path resolution before matching', () => {
  it('allows a path inside the workspace and names the rule', () => {
    const d = policy.decide({ kind: 'fs.read', path: join(paths.workspace, 'data.csv') });
    expect(d).toMatchObject({ allow: true, rule: 'manifest:permissions.fs.read[0]', target: join(paths.workspace, 'data.csv') });
  });

  it('denies ${workspace}/../../etc/passwd-style traversal by resolving first', () => {
    const d = policy.decide({ kind: 'fs.read', path: join(paths.workspace, '..', 'outside', 'secret.txt') });
    expect(d).toMatchObject({ allow: false, rule: 'default-deny', target: join(paths.outside, 'secret.txt') });
    expect(policy.decide({ kind: 'fs.read', path: `${paths.workspace}/../../../../../../etc/passwd` })).toMatchObject({ allow: false, target: '/etc/passwd' });
  });

  it('denies a symlink planted in the workspace that points out, and one whose parent does', () => {
    symlinkSync(join(paths.outside, 'secret.txt'), join(paths.workspace, 'innocent.txt'));
    symlinkSync(paths.outside, join(paths.workspace, 'dir-link'));
    expect(policy.decide({ kind: 'fs.read', path: join(paths.workspace, 'innocent.txt') })).toMatchObject({ allow: false, target: join(paths.outside, 'secret.txt') });
    expect(policy.decide({ kind: 'fs.write', path: join(paths.workspace, 'dir-link', 'new.txt') })).toMatchObject({ allow: false, target: join(paths.outside, 'new.txt') });
  });

  it('follows a dangling link: writing through it would create a file outside', () => {
    symlinkSync(join(paths.outside, 'not-yet.txt'), join(paths.workspace, 'dangling'));
    expect(policy.decide({ kind: 'fs.write', path: join(paths.workspace, 'out', '..', 'dangling') })).toMatchObject({ allow: false, target: join(paths.outside, 'not-yet.txt') });
  });

  it('applies .. after a symlink to the link target, as the kernel does', () => {
    mkdirSync(join(paths.outside, 'deep'));
    symlinkSync(join(paths.outside, 'deep'), join(paths.workspace, 'hop'));
    // Lexically this is ws/secret.txt (allowed); physically it is outside/secret.txt.
    const d = policy.decide({ kind: 'fs.read', path: join(paths.workspace, 'hop') + '/../secret.txt' });
    expect(d).toMatchObject({ allow: false, target: join(paths.outside, 'secret.txt') });
  });

  it('allows writing a new file below a granted write root, denies next to it', () => {
    expect(policy.decide({ kind: 'fs.write', path: join(paths.workspace, 'out', 'a', 'b.txt') })).toMatchObject({ allow: true, rule: 'manifest:permissions.fs.write[0]' });
    expect(policy.decide({ kind: 'fs.write', path: join(paths.workspace, 'data.csv') })).toMatchObject({ allow: false, rule: 'default-deny' });
  });

  it('matches glob patterns against the resolved path', () => {
    mkdirSync(join(paths.extension, 'assets', 'x'), { recursive: true });
    expect(policy.decide({ kind: 'fs.read', path: join(paths.extension, 'assets', 'x', 'a.json') }).allow).toBe(true);
    expect(policy.decide({ kind: 'fs.read', path: join(paths.extension, 'assets', 'x', 'a.js') }).allow).toBe(false);
  });

  it('resolves relative paths against the workspace, and fails closed on symlink loops', () => {
    expect(policy.decide({ kind: 'fs.read', path: 'data.csv' })).toMatchObject({ allow: true, target: join(paths.workspace, 'data.csv') });
    symlinkSync(join(paths.workspace, 'loop-b'), join(paths.workspace, 'loop-a'));
    symlinkSync(join(paths.workspace, 'loop-a'), join(paths.workspace, 'loop-b'));
    expect(policy.decide({ kind: 'fs.read', path: join(paths.workspace, 'loop-a', 'x') })).toMatchObject({ allow: false, rule: 'resolve-error' });
  });

  it('require() throws E_PERMISSION_DENIED with the rule and the path in details', () => {
    try {
      policy.require({ kind: 'fs.read', path: '/etc/passwd' });
      expect.unreachable();
    } catch (error) {
      expect(hasErrorCode(error, 'E_PERMISSION_DENIED')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({ rule: 'default-deny', path: '/etc/passwd', kind: 'fs.read' });
    }
  });
});

describe('net, child_process, env, worker', () => {
  it('decides hosts with ports and wildcards', () => {
    expect(policy.decide({ kind: 'net', host: 'api.example.com', port: 443 }).allow).toBe(true);
    expect(policy.decide({ kind: 'net', host: 'api.example.com', port: 80 }).allow).toBe(false);
    expect(policy.decide({ kind: 'net', host: 'db.internal', port: 5432 })).toMatchObject({ allow: true, rule: 'manifest:permissions.net[1]' });
    expect(policy.decide({ kind: 'net', host: '127.0.0.1', port: 8080 })).toMatchObject({ allow: false, rule: 'default-deny' });
  });

  it('decides commands by name, env names by exact name or prefix, workers by flag', () => {
    expect(policy.decide({ kind: 'child_process', command: '/usr/bin/git' }).allow).toBe(true);
    expect(policy.decide({ kind: 'child_process', command: 'sh' }).allow).toBe(false);
    expect(policy.decide({ kind: 'env', name: 'ACME_TOKEN' }).allow).toBe(true);
    expect(policy.decide({ kind: 'env', name: 'AWS_SECRET_ACCESS_KEY' }).allow).toBe(false);
    expect(policy.decide({ kind: 'worker' }).allow).toBe(false);
  });
});

describe('layers: host deny, revocations and grants', () => {
  it('a revocation beats the manifest; a grant adds beyond it; a host deny beats both', () => {
    const vars = paths;
    const layered = createPolicy({
      manifest: createPermissionSet({ fs: { read: ['${workspace}'] }, env: ['HOME'] }, vars),
      revoked: createPermissionSet({ env: ['HOME'] }, vars, 'grant'),
      granted: createPermissionSet({ fs: { write: ['${tmp}'] }, net: ['localhost:*'] }, vars, 'grant'),
      hostDeny: createPermissionSet({ fs: { read: ['${workspace}/private'] } }, vars, 'host'),
    });
    expect(layered.decide({ kind: 'env', name: 'HOME' })).toMatchObject({ allow: false, rule: 'grant.env[0]' });
    expect(layered.decide({ kind: 'fs.write', path: join(paths.tmp, 'x') })).toMatchObject({ allow: true, rule: 'grant.fs.write[0]' });
    expect(layered.decide({ kind: 'fs.read', path: join(paths.workspace, 'private', 'k') })).toMatchObject({ allow: false, rule: 'host.fs.read[0]' });
    expect(layered.fsRoots()).toEqual({ read: [paths.workspace], write: [paths.tmp] });
    expect(layered.effective()).toEqual({ net: ['localhost:*'], child_process: [], env: [] });
  });

  it('refuses unknown variables and relative patterns with E_MANIFEST_INVALID', () => {
    expect(() => expandPathVariables('${home}/x', paths)).toThrow(/Unknown path variable \$\{home\}/);
    expect(() => createPermissionSet({ fs: { read: ['relative/dir'] } }, paths)).toThrow(/must be absolute/);
  });
});

describe('property: resolved targets', () => {
  it('any path of names, dots, dot-dots and a link out resolves where the OS would go, and is allowed only inside the workspace', () => {
    const segment = fc.constantFrom('..', '.', 'a', 'b', 'out', 'data.csv', 'hop');
    symlinkSync(paths.outside, join(paths.workspace, 'hop'));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segments) => {
        const requested = [paths.workspace, ...segments].join('/');
        const d = policy.decide({ kind: 'fs.read', path: requested });
        // realpath(3) is the oracle wherever the path exists (fs.realpathSync collapses `..` lexically first).
        if (existsSync(requested)) expect(d.target).toBe(realpathSync.native(requested));
        else expect(d.target).toBe(resolveReal(requested));
        const inside = d.target === paths.workspace || d.target.startsWith(paths.workspace + '/');
        expect(d.allow).toBe(inside);
      }),
      { numRuns: 1000 },
    );
  });
});
