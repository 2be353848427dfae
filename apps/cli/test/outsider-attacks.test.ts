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
