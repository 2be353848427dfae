// The symphony command's start-up, beside a bare `node -e 0` spawned the same way in the same run:
// `--help` and `--version` should cost at most 1.5x that floor (nothing but the dispatcher loads),
// and `runs list` on an empty store at most 150 ms (the store opens; no Stage, no Conductor policy).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coldStart, row } from '../lib.mjs';

const CLI = fileURLToPath(new URL('../../apps/cli/dist/cli.js', import.meta.url));

function exec(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

export default async function cliSuite({ quick }) {
  const runs = quick ? 3 : 15;
  const cwd = mkdtempSync(join(tmpdir(), 'symphony-cli-bench-'));
  try {
    const once = (args) => async () => {
      await exec(args, cwd);
      return () => {};
    };
    // Warm the OS file cache once for each, so the first sample is not a disk read.
    for (const args of [['-e', '0'], [CLI, '--help'], [CLI, 'runs', 'list', '--home', join(cwd, 'home')]]) await exec(args, cwd);
    const floor = await coldStart('floor: node -e 0', runs, once(['-e', '0']));
    const help = await coldStart('symphony --help', runs, once([CLI, '--help']));
    const version = await coldStart('symphony --version', runs, once([CLI, '--version']));
    const list = await coldStart('symphony runs list (empty store)', runs, once([CLI, 'runs', 'list', '--home', join(cwd, 'home')]));
    const layer = 'cli start-up';
    return [
      row({ layer, name: help.name, m: help, floor, aim: '≤ 1.5× node -e 0' }),
      row({ layer, name: version.name, m: version, floor, aim: '≤ 1.5× node -e 0' }),
      row({ layer, name: list.name, m: list, floor, aim: '≤ 150 ms' }),
    ];
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
