// The symphony command's start-up, beside a bare `node -e 0` spawned the same way in the same run:
// `--help` and `--version` should cost at most 1.5x that floor (nothing but the dispatcher loads),
// and `runs list` at most 150 ms (the store opens; no Stage, no Conductor policy, no zod, no pino).
// `runs list` is timed on an empty store and on one holding a finished run, `runs show` on that run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coldStart, row } from '../lib.mjs';

const CLI = fileURLToPath(new URL('../../apps/cli/dist/cli.js', import.meta.url));

// Two built-in operator steps: a run with a record, steps and artifacts for `runs show` to read.
const WORKFLOW = `name: bench-show
steps:
  - id: one
    uses: symphony.data/transform
    with: { source: { records: [{ a: 1 }, { a: 2 }] }, steps: [], maxRecords: 10 }
  - id: two
    needs: [one]
    uses: symphony.data/transform
    with: { source: { records: "\${{ steps.one.output.records }}" }, steps: [], maxRecords: 10 }
`;

function exec(args, cwd, capture = false) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'ignore'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

export default async function cliSuite({ quick }) {
  const runs = quick ? 3 : 15;
  const root = mkdtempSync(join(tmpdir(), 'symphony-cli-bench-'));
  // The home lives beside the workspace, never inside it (E_HOME_IN_WORKSPACE).
  const cwd = join(root, 'workspace');
  const empty = join(root, 'empty-home');
  const home = join(root, 'home');
  mkdirSync(cwd);
  try {
    writeFileSync(join(cwd, 'bench-show.yaml'), WORKFLOW);
    const result = JSON.parse((await exec([CLI, 'run', 'bench-show.yaml', '--json', '--home', home], cwd, true)).trim().split('\n').at(-1));
    if (result.status !== 'succeeded') throw new Error(`the bench run ended ${result.status}`);
    const once = (args) => async () => {
      await exec(args, cwd);
      return () => {};
    };
    const cases = {
      floor: ['-e', '0'],
      help: [CLI, '--help'],
      version: [CLI, '--version'],
      listEmpty: [CLI, 'runs', 'list', '--home', empty],
      list: [CLI, 'runs', 'list', '--home', home],
      show: [CLI, 'runs', 'show', result.runId, '--home', home],
    };
    // Warm the OS file cache once for each, so the first sample is not a disk read.
    for (const args of Object.values(cases)) await exec(args, cwd);
    const floor = await coldStart('floor: node -e 0', runs, once(cases.floor));
    const help = await coldStart('symphony --help', runs, once(cases.help));
    const version = await coldStart('symphony --version', runs, once(cases.version));
    const listEmpty = await coldStart('symphony runs list (empty store)', runs, once(cases.listEmpty));
    const list = await coldStart('symphony runs list (one run)', runs, once(cases.list));
    const show = await coldStart('symphony runs show (a 2-step run)', runs, once(cases.show));
    const layer = 'cli start-up';
    return [
      row({ layer, name: help.name, m: help, floor, aim: '≤ 1.5× node -e 0' }),
      row({ layer, name: version.name, m: version, floor, aim: '≤ 1.5× node -e 0' }),
      row({ layer, name: listEmpty.name, m: listEmpty, floor, aim: '≤ 150 ms' }),
      row({ layer, name: list.name, m: list, floor, aim: '≤ 150 ms' }),
      row({ layer, name: show.name, m: show, floor, aim: '≤ 150 ms' }),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
