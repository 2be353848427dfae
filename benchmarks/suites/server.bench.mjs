// Server load on loopback with autocannon, bounded in time: GET /runs/:id and run submission
// with a no-op step, beside a bare node:http server answering the same size of JSON (the floor).
import { fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { row } from '../lib.mjs';

const child = fileURLToPath(new URL('./server-child.mjs', import.meta.url));

function start(mode) {
  const home = mkdtempSync(join(tmpdir(), 'symphony-load-'));
  const proc = fork(child, [home, mode], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ proc, ...JSON.parse(out.split('\n')[0]) });
    });
    proc.once('exit', (code) => reject(new Error(`server child exited ${code}`)));
  });
}

async function load(opts) {
  const result = await autocannon({ connections: 10, pipelining: 1, ...opts });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${opts.title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    name: opts.title,
    // autocannon's percentiles are whole milliseconds; the mean keeps sub-millisecond detail.
    medianNs: result.latency.average * 1e6,
    p99Ns: result.latency.p99 * 1e6,
    opsPerSec: result.requests.average,
    total: result.requests.total,
  };
}

export default async function serverSuite({ quick }) {
  const duration = quick ? 2 : 8;
  const raw = await start('raw');
  const real = await start('real');
  try {
    const floor = await load({ title: 'bare node:http JSON answer', url: `${raw.url}/runs/run-1`, duration });
    const headers = { authorization: `Bearer ${real.token}`, 'content-type': 'application/json' };
    const workflow = { name: 'noop', steps: [{ id: 'a', uses: 'bench.noop/run' }] };
    const submitted = await fetch(`${real.url}/runs`, { method: 'POST', headers, body: JSON.stringify({ workflow }) });
    const { runId } = await submitted.json();
    await new Promise((r) => setTimeout(r, 200));
    const getRun = await load({ title: 'GET /runs/:id (auth + LMDB read)', url: `${real.url}/runs/${runId}`, headers, duration });
    const submit = await load({ title: 'POST /runs, one no-op step', url: `${real.url}/runs`, method: 'POST', headers, body: JSON.stringify({ workflow }), duration });
    const layer = 'server (autocannon, 10 connections; mean latency)';
    return [
      row({ layer, name: floor.name, m: floor }),
      row({ layer, name: getRun.name, m: getRun, floor }),
      row({ layer, name: submit.name, m: submit, floor }),
    ];
  } finally {
    raw.proc.kill();
    real.proc.kill();
  }
}
