#!/usr/bin/env node
// Runs every suite in ./suites (or those named with --only=a,b), each in its own child process so
// a suite that crashes, hangs or leaks workers cannot stop or skew the others, and writes
// results/<suite>.json, results/summary.md (every row) and results/envelope.{md,json} (the
// DESIGN.md envelope; *.quick.* after a quick run; --only prints them without writing).
// `--quick` caps every measurement (lib.mjs QUICK) and each suite's wall time, so the whole run
// takes under a minute. No thresholds: the numbers are the output.
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { markdownTable } from './lib.mjs';
import { envelopeMarkdown, envelopeRows } from './suites/envelope.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const flag = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const meta = (suite) => ({ suite, quick, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, at: new Date().toISOString() });

/** Wall-time cap per suite, in seconds: `--suite-timeout=s`; in quick mode 40 s. */
const suiteTimeoutS = Number(flag('suite-timeout') ?? (quick ? 40 : 900));
/**
 * Suites run at a time: `--jobs=n`. One in a full run, so no suite disturbs another's figures.
 * Quick mode runs 4 at once: most suites spend their quick time spawning processes and waiting
 * on disk, not on the CPU, and a smoke check's figures are indicative only.
 */
const jobs = Math.max(1, Number(flag('jobs') ?? (quick ? 4 : 1)));

// Suites run in their own process groups: on Ctrl-C take them down too.
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const pid of running) killGroup(pid);
    process.exit(130);
  });
}

if (flag('child')) await runChild(flag('child'));
else await runAll();

/** In the child: run one suite and write its rows. Any failure exits non-zero with the stack. */
async function runChild(file) {
  const suite = file.replace(/\.bench\.mjs$/, '');
  const mod = await import(pathToFileURL(join(here, 'suites', file)).href);
  const rows = await mod.default({ quick });
  await writeFile(join(resultsDir, `${suite}.json`), JSON.stringify({ ...meta(suite), rows }, null, 2) + '\n');
  // Suites should stop what they start; a leftover worker or socket must not keep us alive.
  process.exit(0);
}

async function runAll() {
  const only = flag('only')?.split(',');
  const files = (await readdir(join(here, 'suites'))).filter((f) => f.endsWith('.bench.mjs')).sort();
  await mkdir(resultsDir, { recursive: true });
  const started = performance.now();
  const results = {};
  const queue = [];
  for (const file of files) {
    const suite = file.replace(/\.bench\.mjs$/, '');
    if (!only || only.includes(suite)) queue.push({ file, suite, lastSeconds: await lastSeconds(suite) });
  }
  // Longest first (by the last run's time), so parallel lanes finish together.
  if (jobs > 1) queue.sort((a, b) => b.lastSeconds - a.lastSeconds);
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { file, suite } = next;
      process.stderr.write(`▶ ${suite}${quick ? ' (quick)' : ''}\n`);
      const t0 = performance.now();
      results[suite] = await runSuite(file, suite);
      const seconds = (performance.now() - t0) / 1000;
      results[suite].seconds = Math.round(seconds * 10) / 10;
      await writeFile(join(resultsDir, `${suite}.json`), JSON.stringify(results[suite], null, 2) + '\n');
      process.stderr.write(results[suite].failed ? `  ${suite} FAILED after ${seconds.toFixed(1)} s: ${results[suite].error.split('\n')[0]}\n` : `  ${suite} done in ${seconds.toFixed(1)} s\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, lane));
  const totalS = (performance.now() - started) / 1000;
  const header = `${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}${quick ? ', quick mode' : ''}, ${jobs} suite${jobs > 1 ? 's' : ''} at a time${jobs > 1 ? ' (figures indicative only)' : ''}, ${totalS.toFixed(1)} s in all`;
  const failed = Object.entries(results).filter(([, r]) => r.failed);
  const failures = failed.length === 0 ? '' : `\n\n## Failed suites\n\n${failed.map(([s, r]) => `- **${s}**: ${r.error.split('\n')[0]}`).join('\n')}\n`;

  const all = Object.keys(results).sort().flatMap((suite) => results[suite].rows ?? []);
  // With --only, layers whose suites were not selected are left out rather than shown as missing.
  const envelope = envelopeRows(results).filter((r) => !only || r.status !== 'not run');
  const envelopeTable = envelopeMarkdown(envelope);
  const peers = results.peers?.rows?.length ? `\n\n## Peers, same run (suites/peers.bench.mjs)\n\n${markdownTable(results.peers.rows)}\n` : '';
  console.log(envelopeTable + peers + failures);
  // The tables stand for one whole run: a run of some suites (--only) only prints them, so it
  // never leaves an envelope that mixes runs; a quick run writes its own *.quick.* files.
  if (!only) {
    const suffix = quick ? '.quick' : '';
    await writeFile(join(resultsDir, `summary${suffix}.md`), `# Symphony benchmarks\n\n${header}\n\n${markdownTable(all)}\n${failures}`);
    await writeFile(join(resultsDir, `envelope${suffix}.json`), JSON.stringify({ ...meta('envelope'), seconds: totalS, failed: failed.map(([s]) => s), rows: envelope }, null, 2) + '\n');
    await writeFile(
      join(resultsDir, `envelope${suffix}.md`),
      `# Symphony performance envelope${quick ? ' (quick smoke run)' : ''}\n\n${header}. Each figure beside its raw floor measured in the same run (ratio = median / floor median); the original design's promise and Symphony's aim from DESIGN.md beside it. \`node benchmarks/run.mjs${quick ? ' --quick' : ''}\`.\n\n${envelopeTable}\n${peers}${failures}`,
    );
  }
  process.stderr.write(`all suites in ${totalS.toFixed(1)} s; results in ${resultsDir}\n`);
  // A failed suite is a row in the tables, not a failed run; `--strict` makes it one.
  if (args.includes('--strict') && failed.length > 0) process.exitCode = 1;
}

/** Runs one suite in a child process (its own process group, killed whole on timeout). */
async function runSuite(file, suite) {
  const out = join(resultsDir, `${suite}.json`);
  await rm(out, { force: true });
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), `--child=${file}`, ...(quick ? ['--quick'] : [])], {
    cwd: here,
    detached: true,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  running.add(child.pid);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-4000);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, suiteTimeoutS * 1000);
  const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? signal)));
  clearTimeout(timer);
  killGroup(child.pid); // whatever the suite left running (forked children, servers)
  running.delete(child.pid);
  let error;
  if (timedOut) error = `timed out after ${suiteTimeoutS} s${quick ? ' (quick-mode cap per suite)' : ''}`;
  else if (code !== 0) error = `exited with ${code}: ${lastError(stderr)}`;
  if (!error) {
    try {
      return JSON.parse(await readFile(out, 'utf8'));
    } catch (err) {
      error = `wrote no results: ${err.message}`;
    }
  }
  const failed = { ...meta(suite), failed: true, error, rows: [] };
  await writeFile(out, JSON.stringify(failed, null, 2) + '\n');
  return failed;
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The most telling line of a crashed suite's stderr: the error message, not the stack. */
function lastError(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(\w*Error|SymphonyError)\b|Error:/.test(l)) ?? lines.at(-1) ?? 'no output';
}

/** How long the suite took last time (from its results file), for scheduling; 0 if unknown. */
async function lastSeconds(suite) {
  try {
    return JSON.parse(await readFile(join(resultsDir, `${suite}.json`), 'utf8')).seconds ?? 0;
  } catch {
    return 0;
  }
}
