import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh real directory (realpath'd: /tmp may itself be a link) removed by `cleanup`. */
export function tempDir(prefix = 'symphony-sandbox-'): { dir: string; cleanup: () => void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function layout(root: string): { workspace: string; extension: string; tmp: string; outside: string } {
  const paths = { workspace: join(root, 'ws'), extension: join(root, 'ext'), tmp: join(root, 'tmp'), outside: join(root, 'outside') };
  for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
  return paths;
}
