#!/usr/bin/env node
// Runs every suite in ./suites (or those named with --only=a,b), prints one markdown table and
// writes results/<suite>.json plus results/summary.md. `--quick` keeps the whole run under a minute.
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { markdownTable } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');

const files = (await readdir(join(here, 'suites'))).filter((f) => f.endsWith('.bench.mjs')).sort();
const resultsDir = join(here, 'results');
await mkdir(resultsDir, { recursive: true });
const all = [];
for (const file of files) {
  const suite = file.replace(/\.bench\.mjs$/, '');
  if (only && !only.includes(suite)) continue;
  process.stderr.write(`▶ ${suite}${quick ? ' (quick)' : ''}\n`);
  const t0 = performance.now();
  const mod = await import(pathToFileURL(join(here, 'suites', file)).href);
  const rows = await mod.default({ quick });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  process.stderr.write(`  done in ${seconds} s\n`);
  const meta = { suite, quick, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, at: new Date().toISOString() };
  await writeFile(join(resultsDir, `${suite}.json`), JSON.stringify({ ...meta, rows }, null, 2) + '\n');
  all.push(...rows);
}
const table = markdownTable(all);
await writeFile(join(resultsDir, 'summary.md'), `# Symphony benchmarks\n\n${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} cores${quick ? ', quick mode' : ''}\n\n${table}\n`);
console.log(table);
