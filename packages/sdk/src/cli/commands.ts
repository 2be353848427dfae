import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { SymphonyError } from '@symphony/types';
import { generateKeyPair, readKeyPair, writeKeyPair } from '../pack/keys.js';
import { integrityOf } from '../pack/format.js';
import { packExtension, type PackResult } from '../pack/pack.js';
import { publishPackage } from '../pack/publish.js';
import { readPackage } from '../pack/verify.js';
import { findManifestFile, parseManifestText } from '../pack/manifest-file.js';
import { checkManifestAgainstCode } from '../pack/code-check.js';
import { packedPackageJson } from '../pack/package-json.js';
import { createTestHost } from '../testing/test-host.js';
import { createExtension, describeCreated } from './create.js';
import { defaultKeyDir, defaultKeyPath, print, type CliIo } from './io.js';
import { build, findTests, runChild } from './run.js';

export type Flags = Record<string, string | boolean | undefined>;

export async function createCommand(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const [kind, name] = positionals;
  if (!kind || !name) throw usage('create <instrument|operator|motif> <name> [--publisher acme] [--dir .]');
  const created = await createExtension({
    kind,
    name,
    parent: resolve(io.cwd, str(flags.dir) ?? '.'),
    ...(str(flags.publisher) ? { publisher: str(flags.publisher) as string } : {}),
    ...(str(flags['symphony-range']) ? { symphonyRange: str(flags['symphony-range']) as string } : {}),
  });
  print(io, describeCreated(created, io.cwd));
  print(io, `next: cd ${basename(created.dir)} && npm install && npx symphony-sdk test`);
  return 0;
}

export async function testCommand(flags: Flags, io: CliIo): Promise<number> {
  const dir = resolve(io.cwd, str(flags.dir) ?? '.');
  if (flags.build !== false) await build(dir, io);
  // The manifest and the built code must agree before any test runs (pack checks the same).
  const manifestFile = await findManifestFile(dir);
  await checkManifestAgainstCode(dir, parseManifestText(manifestFile.name, await readFile(manifestFile.path, 'utf8')));
  await packedPackageJson(dir, parseManifestText(manifestFile.name, await readFile(manifestFile.path, 'utf8')), '');
  const files = await findTests(dir);
  if (files.length === 0) {
    throw new SymphonyError('E_NOT_FOUND', `no tests in ${dir}/test (files named *.test.mjs, *.test.js or *.test.cjs)`, { details: { path: join(dir, 'test') } });
  }
  // The Node test runner: each file in its own process; the harness starts the extension for real.
  return runChild(process.execPath, ['--test', ...files], io, dir);
}

export async function packCommand(flags: Flags, io: CliIo): Promise<PackResult & { file: string }> {
  const dir = resolve(io.cwd, str(flags.dir) ?? '.');
  if (flags.build !== false) await build(dir, io);
  const key = await packKey(dir, flags, io);
  const result = await packExtension({ dir, key });
  const outDir = resolve(io.cwd, str(flags.out) ?? dir);
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, result.filename);
  await writeFile(file, result.tarball);
  if (flags.json) print(io, JSON.stringify({ file, id: result.id, version: result.version, integrity: result.integrity, keyId: result.signature.keyId, files: result.files }));
  else {
    print(io, `packed ${result.id}@${result.version} → ${file}`);
    print(io, `  ${result.files.length} files, ${result.tarball.length} bytes, signed by ${result.signature.keyId}`);
    print(io, `  integrity ${result.integrity}`);
  }
  return { ...result, file };
}

/**
 * The signing key: `--key`, else the default one; when neither is given and the default does not
 * exist yet, it is generated (like `ssh-keygen` on first use) and its location printed.
 */
async function packKey(dir: string, flags: Flags, io: CliIo) {
  const explicit = str(flags.key);
  const path = resolve(io.cwd, explicit ?? defaultKeyPath(io));
  try {
    return await readKeyPair(path);
  } catch (error) {
    if (explicit || io.env.SYMPHONY_SIGNING_KEY || (error as SymphonyError).code !== 'E_NOT_FOUND') throw error;
  }
  const manifestFile = await findManifestFile(dir);
  const manifest = parseManifestText(manifestFile.name, await readFile(manifestFile.path, 'utf8'));
  const publisher = manifest.id.slice(0, manifest.id.indexOf('.'));
  const pair = generateKeyPair();
  const written = await writeKeyPair(dirname(path), pair, { name: basename(path).replace(/\.key$/, ''), publisher });
  print(io, `generated a signing key for "${publisher}": ${written.privateKeyPath} (keep it secret; back it up)`);
  print(io, `  users trust it with: symphony ext trust ${publisher} --key ${pair.publicKey}`);
  return pair;
}

export async function publishCommand(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  const registry = str(flags.registry) ?? io.env.SYMPHONY_REGISTRY;
  if (!registry) throw usage('publish [file.tgz] --registry <url> (or SYMPHONY_REGISTRY)');
  let tarball: Buffer;
  if (positionals[0]) {
    tarball = await readFile(resolve(io.cwd, positionals[0]));
    // Checked here too, so a broken file fails before it travels.
    await readPackage(tarball, { source: positionals[0] });
  } else {
    tarball = (await packCommand({ ...flags, json: false }, io)).tarball;
  }
  const receipt = await publishPackage({ registry, tarball, integrity: integrityOf(tarball), ...(str(flags.tag) ? { tag: str(flags.tag) as string } : {}) });
  if (flags.json) print(io, JSON.stringify(receipt));
  else print(io, `published ${receipt.id}@${receipt.version} to ${registry} (dist-tags: ${Object.entries(receipt.distTags).map(([t, v]) => `${t}=${v}`).join(', ')})`);
  return 0;
}

export async function keysCommand(positionals: string[], flags: Flags, io: CliIo): Promise<number> {
  if (positionals[0] !== 'generate') throw usage('keys generate [--out <dir>] [--name <file name>] [--publisher <name>]');
  const pair = generateKeyPair();
  const written = await writeKeyPair(resolve(io.cwd, str(flags.out) ?? defaultKeyDir(io)), pair, {
    ...(str(flags.name) ? { name: str(flags.name) as string } : {}),
    ...(str(flags.publisher) ? { publisher: str(flags.publisher) as string } : {}),
  });
  if (flags.json) print(io, JSON.stringify({ keyId: pair.keyId, publicKey: pair.publicKey, ...written }));
  else {
    print(io, `generated ed25519 key ${pair.keyId}`);
    print(io, `  private: ${written.privateKeyPath} (keep it secret; it signs your packages)`);
    print(io, `  public:  ${written.publicKeyPath} (give this to registries and users)`);
    print(io, `  public key: ${pair.publicKey}`);
  }
  return 0;
}

/**
 * A local kernel with the extension under the real bus and sandbox, rebuilt and hot-reloaded on
 * every change, and a prompt: `<method> <json input>`, `.methods`, `.events`, `.exit`.
 */
export async function devCommand(flags: Flags, io: CliIo): Promise<number> {
  const dir = resolve(io.cwd, str(flags.dir) ?? '.');
  if (flags.build !== false) await build(dir, io);
  const mode = str(flags.mode) === 'worker' ? 'worker' : 'process';
  const host = await createTestHost({ dir, mode, watch: true });
  const methods = Object.keys(host.manifest.contributes.methods);
  print(io, `${host.id}@${host.version} running (${mode} mode, hot reload on). Methods: ${methods.join(', ')}`);
  print(io, 'type: <method> <json input>   .methods   .events   .exit');
  const stage = host.kernel.service<{ events: { on(e: string, f: (info: any) => void): void } }>('stage');
  stage.events.on('reloaded', (info: { id: string; from: string; to: string }) => print(io, `reloaded ${info.id} (${info.from} → ${info.to})`));
  stage.events.on('reload-failed', (info: { id: string; error: Error }) => print(io, `reload failed for ${info.id}, the previous build keeps serving: ${info.error.message}`));
  const watcher = flags.build !== false ? startWatchBuild(dir, io) : undefined;
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (!line) continue;
      if (line === '.exit') break;
      if (line === '.methods') {
        print(io, methods.join('\n'));
        continue;
      }
      if (line === '.events') {
        print(io, JSON.stringify(host.events));
        continue;
      }
      const space = line.indexOf(' ');
      const method = space < 0 ? line : line.slice(0, space);
      try {
        const input = space < 0 ? undefined : JSON.parse(line.slice(space + 1));
        print(io, JSON.stringify(await host.call(method, input)));
      } catch (error) {
        const e = error as SymphonyError;
        print(io, `error ${e.code ?? ''}: ${e.message}`);
      }
    }
  } finally {
    rl.close();
    watcher?.kill();
    await host.close();
  }
  return 0;
}

function startWatchBuild(dir: string, io: CliIo) {
  // tsup --watch rebuilds dist/; the stage sees the change and hot-reloads the extension.
  const child = import('node:child_process').then(({ spawn }) => spawn('npm', ['run', 'build', '--silent', '--', '--watch'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }));
  void child.then((c) => c.stderr?.on('data', (d: Buffer) => io.stderr.write(d)));
  return { kill: () => void child.then((c) => c.kill()) };
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function usage(text: string): SymphonyError {
  return new SymphonyError('E_USAGE', `usage: symphony-sdk ${text}`, { details: { usage: text } });
}
