import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './fixtures.js';
import { bins, linkDependencies, run } from './processes.js';

/**
 * The whole authoring-to-running path with real processes and nothing in-process:
 * symphony-sdk create → test → keys generate → publish to symphony-registry on 127.0.0.1 →
 * a second Symphony home trusts, searches and installs with symphony-marketplace → a workflow
 * that uses the extension runs through the Conductor in that home.
 */
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
});

function startRegistryProcess(dir: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bins.registry, 'serve', '--dir', dir, '--port', '0', '--admin-token', token], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let buffered = '';
    child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString();
      const url = /listening (\S+)/.exec(buffered)?.[1];
      if (url) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`registry exited ${code} before listening`)));
  });
}

describe('end to end: create → test → pack → publish → install in another home → run a workflow', () => {
  it('works with real processes at every step', async () => {
    const root = await tempDir('e2e');
    const author = join(root, 'author');
    await mkdir(author, { recursive: true });

    const created = await run(bins.sdk, ['create', 'operator', 'word-count', '--publisher', 'acme'], author);
    expect(created.code, created.stderr).toBe(0);
    const project = join(author, 'word-count');
    await linkDependencies(project);

    const tested = await run(bins.sdk, ['test'], project);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/# pass 4/);

    const keys = await run(bins.sdk, ['keys', 'generate', '--out', join(author, 'keys'), '--publisher', 'acme', '--json'], author);
    expect(keys.code, keys.stderr).toBe(0);
    const key = JSON.parse(keys.stdout) as { publicKey: string; privateKeyPath: string; publicKeyPath: string };

    const registryUrl = await startRegistryProcess(join(root, 'registry'), 'admin-token');
    const registered = await fetch(new URL('-/publishers/acme', registryUrl), {
      method: 'PUT',
      headers: { authorization: 'Bearer admin-token' },
      body: JSON.stringify({ namespaces: ['acme'], publicKeys: [key.publicKey] }),
    });
    expect(registered.status).toBe(200);

    // `test` just built dist/; publish packs that build, signs it and uploads it.
    const published = await run(bins.sdk, ['publish', '--registry', registryUrl, '--key', key.privateKeyPath, '--no-build'], project);
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toContain('published acme.word-count@0.1.0');
    const again = await run(bins.sdk, ['publish', '--registry', registryUrl, '--key', key.privateKeyPath, '--no-build'], project);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('E_VERSION_EXISTS');

    // A second, separate installation.
    const home = join(root, 'consumer-home');
    const mkt = (...args: string[]) => run(bins.marketplace, [...args, '--home', home, '--registry', registryUrl], root);
    const untrusted = await mkt('install', 'acme.word-count', '--yes');
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('E_SIGNER_UNTRUSTED');
    expect((await mkt('trust', 'acme', '--namespace', 'acme', '--key', key.publicKeyPath)).code).toBe(0);
    const found = await mkt('search', 'count words in a text');
    expect(found.stdout.split('\n')[0]).toContain('acme.word-count@0.1.0');
    const refused = await mkt('install', 'acme.word-count');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('+ fs.read: ${workspace}');
    expect(refused.stderr).toContain('E_CONSENT_REQUIRED');
    const installed = await mkt('install', 'acme.word-count', '--yes');
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('+ acme.word-count@0.1.0');
    const lock = JSON.parse(await readFile(join(home, 'extensions', 'symphony-lock.json'), 'utf8'));
    expect(lock.extensions['acme.word-count']).toMatchObject({ version: '0.1.0', publisher: 'acme', permissions: ['fs.read: ${workspace}'] });

    const workflow = {
      name: 'count-words',
      steps: [
        { id: 'direct', uses: 'acme.word-count/count', with: { text: 'the quick brown fox\njumps' } },
        { id: 'by-capability', uses: 'capability:text.count', needs: ['direct'], with: { text: 'one two three' } },
      ],
    };
    await writeFile(join(home, 'count.workflow.json'), JSON.stringify(workflow));
    const workspace = join(root, 'consumer-workspace');
    await mkdir(workspace, { recursive: true });
    const ran = await run(fileURLToPath(new URL('./run-workflow.mjs', import.meta.url)), [home, join(home, 'count.workflow.json'), workspace], root);
    expect(ran.code, ran.stderr).toBe(0);
    // The installed extension's process starts under Node's permission model without Node's
    // "Permission is an experimental feature" warning on the user's terminal.
    expect(ran.stderr).not.toContain('Permission is an experimental feature');
    const result = JSON.parse(ran.stdout.trim().split('\n').at(-1) as string);
    expect(result).toMatchObject({
      status: 'succeeded',
      outputs: { direct: { words: 5, lines: 2, characters: 25 }, 'by-capability': { words: 3, lines: 1, characters: 13 } },
    });
  }, 120_000);
});
