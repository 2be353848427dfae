// The symphony command's start-up, beside a bare `node -e 0` spawned the same way in the same run:
// `--help` and `--version` should cost at most 1.5x that floor (nothing but the dispatcher loads),
// and `runs list` at most 150 ms (the store opens; no Stage, no Conductor policy, no zod, no pino).
// `runs list` is timed on an empty store and on one holding a finished run, `runs show` on that run.
// Beside wall time, each process's own CPU time (user + system, read at its exit): on a machine
// other work shares, wall time grows with the load and CPU time much less.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// Preloaded into every timed process, the floor too: writes its CPU time in ms when it exits.
const CPU_PRELOAD = `process.on('exit', () => { const u = process.cpuUsage(); require('fs').writeFileSync(process.env.SYMPHONY_BENCH_CPU, String((u.user + u.system) / 1000)); });\n`;

function exec(args, cwd, capture = false, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'ignore'], env: { ...process.env, NO_COLOR: '1', ...env } });
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
    // An empty store (inspection never creates one: a missing home would time the no-store path).
    const { createSymphony } = await import('@symphony/runtime');
    await (await createSymphony({ home: empty, mode: 'store', logLevel: 'silent' })).close();
    const result = JSON.parse((await exec([CLI, 'run', 'bench-show.yaml', '--json', '--home', home], cwd, true)).trim().split('\n').at(-1));
    if (result.status !== 'succeeded') throw new Error(`the bench run ended ${result.status}`);
    const preload = join(root, 'cpu-preload.cjs');
    const cpuFile = join(root, 'cpu');
    writeFileSync(preload, CPU_PRELOAD);
    const cpu = {};
    const once = (args) => async () => {
      await exec(['-r', preload, ...args], cwd, false, { SYMPHONY_BENCH_CPU: cpuFile });
      return () => {
        (cpu[args.join(' ')] ??= []).push(Number(readFileSync(cpuFile, 'utf8')) * 1e6);
      };
    };
    const cpuOf = (name, args) => {
      const times = [...cpu[args.join(' ')]].sort((a, b) => a - b);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      return { name: `${name}, CPU time`, medianNs: times[Math.floor(times.length / 2)], p99Ns: times.at(-1), opsPerSec: 1e9 / mean };
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
    const floorCpu = cpuOf(floor.name, cases.floor);
    const cpuRow = (m, args, aim) => row({ layer, name: cpuOf(m.name, args).name, m: cpuOf(m.name, args), floor: floorCpu, aim });
    return [
      row({ layer, name: help.name, m: help, floor, aim: '≤ 1.5× node -e 0' }),
      row({ layer, name: version.name, m: version, floor, aim: '≤ 1.5× node -e 0' }),
      row({ layer, name: listEmpty.name, m: listEmpty, floor, aim: '≤ 150 ms' }),
      row({ layer, name: list.name, m: list, floor, aim: '≤ 150 ms' }),
      row({ layer, name: show.name, m: show, floor, aim: '≤ 150 ms' }),
      cpuRow(help, cases.help, '≤ 1.5× node -e 0'),
      cpuRow(listEmpty, cases.listEmpty, '≤ 150 ms'),
      cpuRow(list, cases.list, '≤ 150 ms'),
      cpuRow(show, cases.show, '≤ 150 ms'),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
