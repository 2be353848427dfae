import { closeSync, existsSync, mkdirSync, openSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPermissionSet, createPolicy } from '@symphony/sandbox';
import { globFiles, hashFile, listDirectory, measureFiles, policyGuard, readTextFile, statPath, writeFileAtomic, type PathGuard } from '../src/index.js';
import { tempDir, workspaceGuard } from './helpers.js';

let root: { dir: string; cleanup: () => void };
let guard: PathGuard;
let ws: string;

beforeEach(() => {
  root = tempDir();
  guard = workspaceGuard(root.dir);
  ws = guard.workspace;
  mkdirSync(join(ws, 'src', 'deep'), { recursive: true });
  mkdirSync(join(ws, 'node_modules', 'x'), { recursive: true });
  writeFileSync(join(ws, 'src', 'a.ts'), 'a');
  writeFileSync(join(ws, 'src', 'deep', 'b.ts'), 'bb');
  writeFileSync(join(ws, 'src', 'c.js'), 'c');
  writeFileSync(join(ws, 'node_modules', 'x', 'd.ts'), 'd');
  writeFileSync(join(ws, '.hidden.ts'), 'h');
  mkdirSync(join(root.dir, 'outside'));
  writeFileSync(join(root.dir, 'outside', 'secret.ts'), 'secret');
});
afterEach(() => root.cleanup());

describe('file_ops on real files', () => {
  it('writes atomically, leaves no temp file, and reads back', async () => {
    const written = await writeFileAtomic(guard, { path: join(ws, 'out', 'note.txt'), content: 'hello', mkdirs: true });
    expect(written).toEqual({ path: join(ws, 'out', 'note.txt'), bytes: 5 });
    await writeFileAtomic(guard, { path: 'out/note.txt', content: 'hello again' });
    expect(readdirSync(join(ws, 'out'))).toEqual(['note.txt']);
    expect(await readTextFile(guard, { path: 'out/note.txt' })).toMatchObject({ content: 'hello again', bytes: 11 });
  });

  it('globs with picomatch, skipping node_modules, dotfiles and links out by default', async () => {
    symlinkSync(join(root.dir, 'outside'), join(ws, 'src', 'link-out'));
    const { files } = await globFiles(guard, { patterns: '**/*.ts' });
    expect(files).toEqual(['src/a.ts', 'src/deep/b.ts']);
    expect((await globFiles(guard, { patterns: ['**/*.ts', '!src/deep/**'], dot: true })).files).toEqual(['.hidden.ts', 'src/a.ts']);
    expect((await globFiles(guard, { patterns: '*.js', cwd: 'src' })).files).toEqual(['c.js']);
  });

  it('measures bytes and lines of globbed or named files', async () => {
    writeFileSync(join(ws, 'src', 'lines.ts'), 'one\ntwo\nthree');
    expect(await measureFiles(guard, { patterns: 'src/**/*.ts' })).toEqual({
      files: [
        { path: 'src/a.ts', bytes: 1, lines: 1 },
        { path: 'src/deep/b.ts', bytes: 2, lines: 1 },
        { path: 'src/lines.ts', bytes: 13, lines: 3 },
      ],
    });
    await expect(measureFiles(guard, { paths: ['../outside/secret.ts'] })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
  });

  it('lists and stats', async () => {
    const listing = await listDirectory(guard, { path: 'src', recursive: true });
    expect(listing.entries.map((e) => `${e.type}:${e.path}`)).toEqual(['file:a.ts', 'file:c.js', 'directory:deep', 'file:deep/b.ts']);
    expect(await statPath(guard, { path: 'src/deep/b.ts' })).toMatchObject({ type: 'file', size: 2 });
  });

  it('refuses paths outside the workspace: traversal, absolute, and a planted symlink', async () => {
    symlinkSync(join(root.dir, 'outside', 'secret.ts'), join(ws, 'innocent.ts'));
    await expect(readTextFile(guard, { path: '../outside/secret.ts' })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { path: join(root.dir, 'outside', 'secret.ts') } });
    await expect(readTextFile(guard, { path: '/etc/passwd' })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    await expect(readTextFile(guard, { path: 'innocent.ts' })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'default-deny' } });
    await expect(writeFileAtomic(guard, { path: '../outside/new.ts', content: 'x' })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED' });
    expect(existsSync(join(root.dir, 'outside', 'new.ts'))).toBe(false);
  });

  it('reports a missing file as E_NOT_FOUND and a directory as E_INPUT_INVALID, with the path', async () => {
    await expect(readTextFile(guard, { path: 'nope.txt' })).rejects.toMatchObject({ code: 'E_NOT_FOUND', details: { path: 'nope.txt' } });
    await expect(readTextFile(guard, { path: 'src' })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(writeFileAtomic(guard, { path: 'missing-dir/x.txt', content: 'x' })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('a 1 GB sparse file: read is refused before a byte is read; hash streams a smaller one', async () => {
    const big = join(ws, 'sparse.bin');
    closeSync(openSync(big, 'w'));
    await truncate(big, 1024 ** 3);
    await expect(readTextFile(guard, { path: 'sparse.bin' })).rejects.toMatchObject({ code: 'E_PAYLOAD_TOO_LARGE', details: { size: 1024 ** 3 } });
    // The full 1 GB hash runs once, in the sandboxed operator (stage.test.ts).
    await truncate(big, 8 * 1024 ** 2);
    expect(await hashFile(guard, { path: 'sparse.bin' })).toEqual({ path: big, bytes: 8 * 1024 ** 2, sha256: '2daeb1f36095b44b318410b3f4e8b5d989dcc7bb023d1426c492dab0a3053e74' });
  });
});

describe('the workspace minus git internals and minus the home', () => {
  it('never writes or reads inside .git, nor creates a .git file (gitdir: redirect)', async () => {
    mkdirSync(join(ws, 'repo', '.git'), { recursive: true });
    writeFileSync(join(ws, 'repo', '.git', 'config'), '[core]\n');
    for (const call of [
      () => writeFileAtomic(guard, { path: join(ws, 'repo', '.git', 'config'), content: "[filter \"pwn\"]\n\tclean = sh -c 'id'\n" }),
      () => writeFileAtomic(guard, { path: join(ws, 'other', '.git'), content: 'gitdir: /etc\n', mkdirs: true }),
      () => writeFileAtomic(guard, { path: 'repo/.git/hooks/pre-commit', content: '#!/bin/sh\nid\n', mkdirs: true }),
      () => readTextFile(guard, { path: 'repo/.git/config' }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'host:git-internals' } });
    }
    expect(existsSync(join(ws, 'other', '.git'))).toBe(false);
  });

  it('denies the home even when it lies under a granted path', async () => {
    const home = join(ws, 'home-by-mistake');
    mkdirSync(home);
    writeFileSync(join(home, 'tokens.json'), '{"secret":1}');
    const vars = { workspace: ws, extension: join(root.dir, 'ext'), tmp: join(root.dir, 'tmp') };
    const policy = createPolicy({ manifest: createPermissionSet({ fs: { read: ['${workspace}'], write: ['${workspace}'] } }, vars), cwd: ws, protectedPaths: [{ root: home }] });
    const shielded = policyGuard(policy, ws, { id: 'symphony.test', version: '0.0.0' });
    await expect(readTextFile(shielded, { path: join(home, 'tokens.json') })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'host:home' } });
    await expect(writeFileAtomic(shielded, { path: 'home-by-mistake/grants.json', content: '{}' })).rejects.toMatchObject({ code: 'E_PERMISSION_DENIED', details: { rule: 'host:home' } });
    expect(await readTextFile(shielded, { path: 'src/a.ts' })).toMatchObject({ content: 'a' });
  });
});
