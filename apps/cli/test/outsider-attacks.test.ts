// Outsider attacks through the built `symphony` command (issue 15): `ext grant` wrote decisions
// for versions or ids that are not ones (`acme.x@__proto__`), answered 0 and audited them.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { symphony } from './cli-harness.js';

const home = mkdtempSync(join(tmpdir(), 'symphony-outsider-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('symphony ext grant|revoke', { timeout: 30_000 }, () => {
  it.each(['acme.x@__proto__', 'acme.x@constructor', 'acme.x@latest', '__proto__@1.0.0', '../../etc@1.0.0'])('%s is a usage error (exit 2), nothing written', async (spec) => {
    for (const sub of ['grant', 'revoke']) {
      const run = await symphony(['ext', sub, spec, 'fs.read', '/', '--home', home], { cwd: home });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/E_USAGE|not <id>/);
    }
    expect(existsSync(join(home, 'grants.json')) ? readFileSync(join(home, 'grants.json'), 'utf8') : '').not.toContain('/');
  });

  it('a real id and version is still granted', async () => {
    const run = await symphony(['ext', 'grant', 'acme.x@1.0.0-rc.1', 'fs.read', '/data', '--home', home], { cwd: home });
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(home, 'grants.json'), 'utf8')).grants['acme.x@1.0.0-rc.1']).toHaveLength(1);
  });
});

// Issue 16/17 attack: a run id or artifact name longer than an LMDB key (1978 bytes) made lmdb
// throw ("String does not fit in target buffer", "Key of size … was too large"): E_INTERNAL.
describe('runs and artifacts with an id longer than any stored key', { timeout: 30_000 }, () => {
  it('is E_NOT_FOUND (or an empty list), never E_INTERNAL', async () => {
    const store = join(home, 'long-key-home');
    expect((await symphony(['artifacts', 'list', '--home', store], { cwd: home })).code).toBe(0);
    const long = 'x'.repeat(10_000);
    for (const args of [['runs', 'explain', long], ['runs', 'show', long], ['artifacts', 'get', long]]) {
      const run = await symphony([...args, '--home', store], { cwd: home });
      expect(run.code, args.slice(0, 2).join(' ')).toBe(1);
      expect(run.stderr).toContain('E_NOT_FOUND');
      expect(run.stderr).not.toContain('E_INTERNAL');
    }
    const list = await symphony(['artifacts', 'list', 'y'.repeat(3_000), '--home', store], { cwd: home });
    expect(list.code).toBe(0);
    expect(list.stderr).not.toContain('E_INTERNAL');
  });
});

// Arguments a command does not take were dropped: `symphony run a.yaml b.yaml` ran only a.yaml, exit 0.
describe('extra positional arguments', { timeout: 30_000 }, () => {
  it.each([['run', 'a.yaml', 'b.yaml'], ['runs', 'list', 'extra'], ['runs', 'explain', 'x', 'y'], ['artifacts', 'get', 'a', 'b']])('%s %s %s … is a usage error (exit 2)', async (...args) => {
    const run = await symphony([...args, '--home', join(home, 'extra-home')], { cwd: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('E_USAGE');
    expect(run.stderr).toContain('unexpected argument');
  });
});
