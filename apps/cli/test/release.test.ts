import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRepo } from './cli-harness.js';

/**
 * A release tested the way users install it. A verdaccio registry on 127.0.0.1 (no uplinks: it
 * reaches nothing) holds the third-party packages our packages depend on, copied from this
 * checkout's installed ones; `pnpm publish -r` publishes every public workspace package into it.
 * Then, in clean folders with a clean npm cache, a clean HOME and only that registry:
 *   - a user: `npm i -g @symphony/cli`, then `symphony run` of the example on a fresh git repo;
 *   - an author: create → install → test → pack → publish (five commands), and a user in a fresh
 *     home: `symphony ext trust` + `ext install` from that npm registry + `symphony run`;
 *   - an embedder: `npm i @symphony/runtime`, a workflow run in five lines.
 */
const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ROOT = mkdtempSync(join(tmpdir(), 'symphony-release-'));
let registry: ChildProcess | undefined;
let url = '';
let env: Record<string, string> = {};

afterAll(() => {
  registry?.kill('SIGTERM');
  rmSync(ROOT, { recursive: true, force: true });
}, 120_000);

/** One command as a user types it: output kept, a bounded time, the clean environment. */
async function sh(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(command, args, { cwd, env: { ...env, ...extra }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n--- stdout\n${e.stdout ?? ''}\n--- stderr\n${e.stderr ?? ''}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// --- The offline mirror of third-party packages -------------------------------------------------

interface Found {
  name: string;
  version: string;
  dir: string;
}

/** Node's lookup of `name` from a package folder (pnpm's layout: siblings in `.pnpm/<id>/node_modules`). */
function findDependency(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every third-party package (name@version → folder) reachable from the given roots' runtime dependencies. */
function thirdPartyClosure(roots: Array<{ dir: string; names: string[] }>): Map<string, Found> {
  const found = new Map<string, Found>();
  const queue = roots.flatMap((r) => r.names.map((name) => ({ from: r.dir, name })));
  while (queue.length > 0) {
    const { from, name } = queue.shift() as { from: string; name: string };
    const dir = findDependency(from, name);
    if (!dir) continue; // an optional dependency for another platform: not installed here
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string | undefined>;
    const key = `${pkg.name as string}@${pkg.version as string}`;
    if (found.has(key)) continue;
    found.set(key, { name: pkg.name as string, version: pkg.version as string, dir });
    const deps = { ...(pkg.dependencies as Record<string, string>), ...(pkg.optionalDependencies as Record<string, string>), ...(pkg.peerDependencies as Record<string, string>) };
    for (const dep of Object.keys(deps)) queue.push({ from: dir, name: dep });
  }
  return found;
}

/** onnxruntime-node ships every platform's binaries (245 MB); the mirror keeps this platform's. */
function excludes(found: Found): string[] {
  if (found.name !== 'onnxruntime-node') return [];
  const keep = `./bin/napi-v6/${process.platform}/${process.arch}`;
  const out: string[] = [];
  for (const os of readdirSync(join(found.dir, 'bin/napi-v6'))) {
    for (const arch of readdirSync(join(found.dir, 'bin/napi-v6', os))) {
      if (`./bin/napi-v6/${os}/${arch}` !== keep) out.push(`--exclude=./bin/napi-v6/${os}/${arch}`);
    }
  }
  return out;
}

/** Writes each package as verdaccio stores a published one: `<storage>/<name>/{package.json,<file>.tgz}`. */
async function mirror(storage: string, packages: Map<string, Found>): Promise<void> {
  const byName = new Map<string, Found[]>();
  for (const p of packages.values()) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const work = [...byName.entries()];
  const one = async ([name, versions]: [string, Found[]]) => {
    const dir = join(storage, name);
    mkdirSync(dir, { recursive: true });
    const doc = { name, versions: {} as Record<string, unknown>, 'dist-tags': {} as Record<string, string>, _distfiles: {}, _attachments: {} as Record<string, unknown>, _uplinks: {}, _rev: '1-0', time: {} };
    for (const p of versions) {
      const file = `${name.split('/').pop() as string}-${p.version}.tgz`;
      // --hard-dereference: pnpm's store hard-links identical files, and npm drops link entries.
      await exec('tar', ['-cf', join(dir, file), '--use-compress-program=gzip -1', '--hard-dereference', '--exclude=./node_modules', ...excludes(p), '--transform', 's,^\\.,package,', '-C', p.dir, '.']);
      const data = readFileSync(join(dir, file));
      const shasum = createHash('sha1').update(data).digest('hex');
      const integrity = `sha512-${createHash('sha512').update(data).digest('base64')}`;
      const pkg = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      doc.versions[p.version] = { ...pkg, _id: `${name}@${p.version}`, dist: { tarball: `${url}${name}/-/${file}`, shasum, integrity } };
      doc._attachments[file] = { shasum, version: p.version };
    }
    const sorted = versions.map((v) => v.version).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    doc['dist-tags'].latest = sorted.at(-1) as string;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(doc));
  };
  // A few tar processes at a time: bounded, and quick on two cores.
  const lanes = Array.from({ length: 4 }, async () => {
    for (let next = work.shift(); next; next = work.shift()) await one(next);
  });
  await Promise.all(lanes);
}

function publicWorkspacePackages(): Array<{ dir: string; pkg: Record<string, unknown> }> {
  return ['packages', 'apps'].flatMap((top) =>
    readdirSync(join(REPO, top))
      .map((d) => ({ dir: join(REPO, top, d), pkg: JSON.parse(readFileSync(join(REPO, top, d, 'package.json'), 'utf8')) as Record<string, unknown> }))
      .filter((p) => !p.pkg.private),
  );
}

// --- The registry --------------------------------------------------------------------------------

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  const config = join(ROOT, 'verdaccio');
  const storage = join(config, 'storage');
  mkdirSync(storage, { recursive: true });
  writeFileSync(
    join(config, 'config.yaml'),
    [
      `storage: ${storage}`,
      `auth:\n  htpasswd:\n    file: ${join(config, 'htpasswd')}\n    max_users: 10`,
      'uplinks: {}',
      "packages:\n  '**':\n    access: $all\n    publish: $authenticated",
      'max_body_size: 200mb',
      'log: { type: stdout, format: json, level: error }',
      '',
    ].join('\n'),
  );

  // Third-party packages: what the public packages need at run time, plus what a new extension
  // project installs to build (tsup, typescript).
  const workspace = publicWorkspacePackages();
  const ours = new Set(workspace.map((p) => p.pkg.name as string));
  const roots = workspace.map(({ dir, pkg }) => ({
    dir,
    names: Object.keys({ ...(pkg.dependencies as object), ...(pkg.optionalDependencies as object) }).filter((n) => !ours.has(n)),
  }));
  roots.push({ dir: REPO, names: ['tsup', 'typescript'] });
  await mirror(storage, thirdPartyClosure(roots));

  registry = spawn(process.execPath, [join(REPO, 'node_modules/verdaccio/bin/verdaccio'), '--config', join(config, 'config.yaml'), '--listen', `127.0.0.1:${port}`], {
    cwd: config,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  registry.stdout?.on('data', (c: Buffer) => (said += c.toString()));
  registry.stderr?.on('data', (c: Buffer) => (said += c.toString()));
  for (let i = 0; ; i++) {
    // Ours, not another process on a reused port: the child must still be running.
    if (registry.exitCode !== null) throw new Error(`verdaccio exited ${registry.exitCode}: ${said}`);
    const up = await fetch(`${url}-/ping`).then((r) => r.ok, () => false);
    if (up && registry.exitCode === null) break;
    if (i > 150) throw new Error('verdaccio did not start within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const user = await fetch(`${url}-/user/org.couchdb.user:release`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release', password: 'release-password' }),
  });
  const { token } = (await user.json()) as { token: string };

  // The clean machine: its own HOME, npm config and cache; nothing inherited but PATH.
  const home = join(ROOT, 'home');
  mkdirSync(home);
  const npmrc = join(ROOT, 'npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`);
  env = {
    PATH: `${join(ROOT, 'global', 'bin')}:${process.env.PATH ?? ''}`,
    HOME: home,
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    npm_config_userconfig: npmrc,
    npm_config_cache: join(ROOT, 'npm-cache'),
    npm_config_yes: 'true',
    // onnxruntime-node's install script would fetch optional GPU providers; CPU needs nothing.
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    NO_COLOR: '1',
    GIT_AUTHOR_NAME: 'release',
    GIT_AUTHOR_EMAIL: 'release@symphony.invalid',
    GIT_COMMITTER_NAME: 'release',
    GIT_COMMITTER_EMAIL: 'release@symphony.invalid',
  };

  // The maintainer's release: every public package, workspace ranges rewritten, into the registry.
  await sh('pnpm', ['publish', '-r', '--no-git-checks', '--registry', url], REPO, { npm_config_cache: join(ROOT, 'pnpm-cache') });
}, 480_000);

describe('a release installed as users install it', () => {
  it('npm i -g @symphony/cli, then symphony run of the example on a fresh git repository', async () => {
    await sh('npm', ['install', '--global', '--prefix', join(ROOT, 'global'), '@symphony/cli'], ROOT);
    const version = await sh('symphony', ['--version'], ROOT);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);

    // The example as a user would have it: its workflow and extensions in a project of their own.
    const repo = demoRepo();
    cpSync(join(REPO, 'examples/hotspots/workflow.yaml'), join(repo, 'workflow.yaml'));
    cpSync(join(REPO, 'examples/hotspots/extensions'), join(repo, 'extensions'), { recursive: true });
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'hotspots', private: true, type: 'module', dependencies: { '@symphony/sdk': '*' } }));
    await sh('npm', ['install'], repo);
    const run = await sh('symphony', ['run', 'workflow.yaml', '--json', '--input', 'top=5'], repo, { SYMPHONY_WORKSPACE: repo });
    const result = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type?: string; status?: string }).find((l) => l.type === 'result');
    expect(result?.status).toBe('succeeded');
    expect(readFileSync(join(repo, '.symphony', 'reports', 'hotspots.md'), 'utf8')).toContain('src/hot.js');
    rmSync(repo, { recursive: true, force: true });
  }, 300_000);

  it('an author publishes an extension in five commands; a fresh home installs it from that npm registry and runs it', async () => {
    const author = join(ROOT, 'author');
    mkdirSync(author);
    const project = join(author, 'todo-count');
    // The author's five commands, word for word.
    await sh('npx', ['@symphony/sdk', 'create', 'operator', 'todo-count'], author);
    await sh('npm', ['install'], project);
    const tested = await sh('npm', ['test'], project);
    expect(tested.stdout).toMatch(/# fail 0/);
    const packed = await sh('npm', ['run', 'pack'], project);
    expect(packed.stdout).toContain('packed local.todo-count@0.1.0');
    await sh('npm', ['publish', './local.todo-count-0.1.0.tgz'], project);

    // A user with a fresh Symphony home (the CLI from the previous test, installed globally).
    const home = join(ROOT, 'consumer-home');
    const work = join(ROOT, 'consumer');
    mkdirSync(work);
    // `pack` made the author's signing key on first use and said where; its public half is what users trust.
    const keyPath = /generated a signing key for "local": (\S+\.key)/.exec(packed.stdout)?.[1];
    expect(keyPath).toBeDefined();
    const publicKey = (keyPath as string).replace(/\.key$/, '.pub.json');
    await sh('symphony', ['ext', 'trust', 'local', `--key=${publicKey}`, '--home', home], work);
    const info = await sh('symphony', ['ext', 'info', 'local.todo-count@0.1.0', '--registry', `npm:${url}`, '--home', home], work);
    expect(info.stdout).toContain('fs.read: ${workspace}');
    const installed = await sh('symphony', ['ext', 'install', 'local.todo-count', '--registry', `npm:${url}`, '--yes', '--home', home], work);
    expect(installed.stdout).toContain('+ local.todo-count@0.1.0');
    writeFileSync(join(work, 'count.yaml'), 'name: count\nsteps:\n  - id: count\n    uses: local.todo-count/count\n    with: { text: "one two three" }\n');
    const run = await sh('symphony', ['run', 'count.yaml', '--json', '--home', home], work, { SYMPHONY_WORKSPACE: work });
    const result = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type?: string; status?: string }).find((l) => l.type === 'result');
    expect(result?.status).toBe('succeeded');
  }, 300_000);

  it('an embedder runs a workflow with @symphony/runtime in ten lines', async () => {
    const app = join(ROOT, 'embedder');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'embedder', private: true, type: 'module' }));
    await sh('npm', ['install', '@symphony/runtime'], app);
    writeFileSync(join(app, 'notes.txt'), 'hello\n');
    const lines = [
      "import { createSymphony } from '@symphony/runtime';",
      "const symphony = await createSymphony({ home: '../embedder-home' });",
      "const result = await symphony.run({ name: 'stat', steps: [{ id: 'stat', uses: 'symphony.files/stat', with: { path: 'notes.txt' } }] });",
      'console.log(result.status);',
      'await symphony.close();',
    ];
    expect(lines.length).toBeLessThanOrEqual(10);
    writeFileSync(join(app, 'main.mjs'), `${lines.join('\n')}\n`);
    const ran = await sh(process.execPath, ['main.mjs'], app);
    expect(ran.stdout.trim().split('\n').at(-1)).toBe('succeeded');
  }, 300_000);
});
