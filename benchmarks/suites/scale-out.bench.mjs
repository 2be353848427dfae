// Scale-out over BullMQ on Redis, beside its raw floor in the same run: a dispatched step
// (signed job, envelope, deterministic id, worker through the scale-out worker, signed result)
// against a raw BullMQ add -> worker -> completed round trip on the same redis-server; then
// throughput with 1, 2 and 4 worker processes (steps/s and machine CPU use while it runs).
// Needs Debian's redis-server; without it the suite reports nothing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { createDispatcher, startScaleWorker } from '@symphony/scale-out';
import { measure, row, round } from '../lib.mjs';

const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
const SECRET = 'bench-secret-0123456789';
const stage = { call: async (_uses, input) => input, list: () => [{ id: 'bench.echo', methods: ['echo'] }] };

export default async function ({ quick }) {
  if (!REDIS) {
    process.stderr.write('scale-out: redis-server not installed, suite skipped\n');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const port = await freePort();
  const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const rows = [];
  const closers = [];
  try {
    await waitPort(port);
    // The floor: raw BullMQ.
    const rawQueue = new Queue('raw', { connection });
    const rawEvents = new QueueEvents('raw', { connection });
    const rawWorker = new Worker('raw', async (job) => job.data, { connection, concurrency: 1 });
    closers.push(() => rawWorker.close(), () => rawEvents.close(), () => rawQueue.close());
    await rawEvents.waitUntilReady();
    // A dispatched step: same redis, one in-process scale-out worker.
    const worker = await startScaleWorker({ redis: url, secret: SECRET, stage, concurrency: 1 });
    const dispatcher = await createDispatcher({ redis: url, secret: SECRET });
    closers.unshift(() => dispatcher.close(), () => worker.close());
    await dispatcher.refresh();
    let seq = 0;
    // This machine is shared: floor and dispatched step alternate in rounds, and each keeps its
    // best round's median, so a burst of load elsewhere does not land on one side only.
    const rounds = quick ? 1 : 4;
    let floor;
    let step;
    for (let r = 0; r < rounds; r++) {
      const f = await measure('raw BullMQ add -> worker -> completed', async () => {
        const job = await rawQueue.add('x', { n: 1 });
        await job.waitUntilFinished(rawEvents);
      }, { quick, time: 600 });
      const d = await measure('dispatched step (signed job, scale-out worker, signed result)', () =>
        dispatcher.dispatch({ runId: 'bench', stepId: `s${seq++}`, attempt: 1, uses: 'bench.echo/echo', input: { n: 1 } }), { quick, time: 600 });
      if (!floor || f.medianNs < floor.medianNs) floor = f;
      if (!step || d.medianNs < step.medianNs) step = d;
    }
    rows.push(row({ layer: 'scale-out', name: `dispatched step round trip (best of ${rounds} alternating rounds)`, m: step, floor, aim: '<= 1.3x raw BullMQ round trip' }));
    const big = { text: 'x'.repeat(200_000) };
    const blob = await measure('dispatched step, 200 KB input by content address', () =>
      dispatcher.dispatch({ runId: 'bench', stepId: `b${seq++}`, attempt: 1, uses: 'bench.echo/echo', input: big }), { quick, time: 1500 });
    rows.push(row({ layer: 'scale-out', name: 'dispatched step, 200 KB in and out by content address', m: blob, floor }));
    await dispatcher.close();
    await worker.close();
    closers.splice(0, 2);

    // Throughput with 1, 2, 4 worker processes (concurrency 8 each), steps with no work.
    const script = join(dir, 'worker.mjs');
    writeFileSync(script, `import { startScaleWorker } from '${import.meta.resolve('@symphony/scale-out')}';
const stage = { call: async (_u, input) => input, list: () => [{ id: 'bench.tp', methods: ['echo'] }] };
const w = await startScaleWorker({ redis: process.argv[2], secret: '${SECRET}', stage, concurrency: 8 });
process.stdout.write('ready\\n');
process.on('SIGTERM', async () => { await w.close(); process.exit(0); });`);
    const steps = quick ? 200 : 2000;
    let baseline;
    for (const n of [1, 2, 4]) {
      const procs = [];
      for (let i = 0; i < n; i++) {
        const p = spawn(process.execPath, [script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
        procs.push(p);
        await new Promise((resolve, reject) => {
          p.stdout.once('data', resolve);
          p.once('exit', (code) => reject(new Error(`bench worker exited ${code}`)));
        });
      }
      const d = await createDispatcher({ redis: url, secret: SECRET });
      const cpu0 = cpuTimes();
      const r0 = procCpuMs(redis.pid);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: steps }, (_, i) => d.dispatch({ runId: `tp${n}`, stepId: `s${i}`, attempt: 1, uses: 'bench.tp/echo', input: { i } })));
      const ms = performance.now() - t0;
      const cpu1 = cpuTimes();
      const redisUsPerStep = ((procCpuMs(redis.pid) - r0) * 1000) / steps;
      await d.close();
      await Promise.all(procs.map((p) => new Promise((resolve) => { p.once('exit', resolve); p.kill('SIGTERM'); })));
      const perSec = (steps / ms) * 1000;
      baseline ??= perSec;
      const busy = (cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total);
      rows.push({
        layer: 'scale-out',
        case: `throughput, ${n} worker process(es) x concurrency 8, ${steps} steps`,
        medianNs: round((ms * 1e6) / steps),
        p99Ns: null,
        opsPerSec: Math.round(perSec),
        floor: n === 1 ? '' : '1 worker process',
        floorMedianNs: null,
        ratio: round(perSec / baseline),
        promise: '',
        aim: `machine CPU busy ${Math.round(busy * 100)}% (${os.cpus().length} cores); redis-server ${Math.round(redisUsPerStep)} us CPU per step (saturates near ${Math.round(1e6 / redisUsPerStep)} steps/s on one core)`,
      });
    }
  } finally {
    for (const c of closers) await c().catch(() => {});
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** CPU milliseconds (user + system) a process used, from /proc (Linux; 0 elsewhere). */
function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

function cpuTimes() {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle;
    total += t;
    busy += t - c.times.idle;
  }
  return { busy, total };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.end(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not start');
}
