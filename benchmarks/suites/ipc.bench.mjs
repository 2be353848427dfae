// The IPC bus beside its raw floors, all measured in this run: a worker round trip vs a raw
// MessagePort ping-pong and plain comlink; the shared-memory ring vs raw SAB + Atomics; a child
// process round trip vs raw process.send; 64 calls in flight; and cold start to first reply.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { BusClient, Ring, RingChannel, Supervisor, createLauncher, createWarmLauncher, processEndpoint, workerEndpoint } from '@symphony/ipc-bus';
import { measure, row, coldStart } from '../lib.mjs';

const require = createRequire(import.meta.url);
// The ESM files (import.meta.resolve), as an extension imports them: require.resolve would pick
// the CJS builds and load a second copy of every dependency.
const url = (specifier) => import.meta.resolve(specifier);
const comlinkDir = dirname(require.resolve('comlink'));
const COMLINK = pathToFileURL(join(comlinkDir, '../esm/comlink.mjs')).href;
const NODE_ADAPTER = pathToFileURL(join(comlinkDir, '../esm/node-adapter.mjs')).href;
const BUS = url('@symphony/ipc-bus');
const SDK = url('@symphony/sdk/runtime');
const SDK_ENTRY = require.resolve('@symphony/sdk/runtime/entry');
const PIPELINE = 64;

// The far sides, written to a temp folder: each echoes what it gets.
const SCRIPTS = {
  'raw-worker.mjs': `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => parentPort.postMessage(m));`,
  'raw-child.mjs': `process.on('message', (m) => process.send(m));`,
  'comlink-worker.mjs': `import { parentPort } from 'node:worker_threads';
import * as Comlink from '${COMLINK}';
import nodeEndpoint from '${NODE_ADAPTER}';
Comlink.expose({ echo: (x) => x }, nodeEndpoint(parentPort));`,
  'bus-echo.mjs': `import { serve, hostEndpoint } from '${BUS}';
serve(await hostEndpoint(), { methods: ['echo'], handle: (_m, input) => input, onShutdown: () => process.exit(0) });`,
  'ring-worker.mjs': `import { workerData } from 'node:worker_threads';
import { Ring, RingChannel } from '${BUS}';
if (workerData.bytes) {
  const inbox = new Ring(workerData.inbox), outbox = new Ring(workerData.outbox);
  for (;;) { const m = inbox.read(); if (m.byteLength === 0) break; outbox.write(m); }
} else {
  const inbox = new RingChannel(workerData.inbox), outbox = new RingChannel(workerData.outbox);
  for (;;) { const m = inbox.receive(); if (m === null) break; outbox.send(m); }
}`,
  'sab-worker.mjs': `import { workerData } from 'node:worker_threads';
const f = new Int32Array(workerData.flags);
for (let seen = 0;;) { Atomics.wait(f, 0, seen); seen = Atomics.load(f, 0); if (seen < 0) break; Atomics.store(f, 1, seen); Atomics.notify(f, 1); }`,
  'ext.mjs': `import { defineOperator } from '${SDK}';
export default defineOperator({ manifest: { id: 'bench.echo', version: '1.0.0' }, methods: { echo: (x) => x } });`,
};

const payload = (i) => ({ op: 'echo', id: i, args: [i] });

/** A one-listener echo peer: `roundTrip()` sends one message and resolves on the reply. */
function rawPeer(target) {
  let waiting = [];
  target.on('message', () => waiting.shift()?.());
  const send = target.postMessage ? (m) => target.postMessage(m) : (m) => target.send(m);
  let i = 0;
  return {
    roundTrip: () => new Promise((resolve) => { waiting.push(resolve); send(payload(i++)); }),
    pipelined: () => Promise.all(Array.from({ length: PIPELINE }, () => new Promise((resolve) => { waiting.push(resolve); send(payload(i++)); }))),
  };
}

async function ready(target) {
  // The far side is up once it echoes one message.
  await new Promise((resolve) => { target.once('message', resolve); (target.postMessage ? target.postMessage.bind(target) : target.send.bind(target))(payload(-1)); });
}

function perCall(m, n) {
  return { ...m, medianNs: m.medianNs / n, p99Ns: m.p99Ns / n, meanNs: m.meanNs / n, opsPerSec: m.opsPerSec * n };
}

export default async function ipcSuite({ quick }) {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-ipc-bench-'));
  for (const [name, code] of Object.entries(SCRIPTS)) writeFileSync(join(dir, name), code);
  const file = (name) => join(dir, name);
  const opts = { quick, time: 1_000 };
  const rows = [];
  const stoppers = [];
  try {
    // ── worker threads ────────────────────────────────────────────────────────────────────────
    const rawWorker = new Worker(file('raw-worker.mjs'));
    stoppers.push(() => rawWorker.terminate());
    await ready(rawWorker);
    const raw = rawPeer(rawWorker);
    const rawRt = await measure('raw MessagePort ping-pong', raw.roundTrip, opts);

    const comlinkWorker = new Worker(file('comlink-worker.mjs'));
    stoppers.push(() => comlinkWorker.terminate());
    const nodeEndpoint = (await import(NODE_ADAPTER)).default;
    const comlinkApi = Comlink.wrap(nodeEndpoint(comlinkWorker));
    await comlinkApi.echo(0);
    let c = 0;
    const comlinkRt = await measure('plain comlink call', () => comlinkApi.echo([c++]), opts);

    const busWorker = new Worker(file('bus-echo.mjs'));
    stoppers.push(() => busWorker.terminate());
    const bus = new BusClient(workerEndpoint(busWorker), { peer: 'bench.echo' });
    await bus.ready;
    let b = 0;
    const busRt = await measure('bus call (worker)', () => bus.call('echo', [b++]), opts);

    const sdkWorker = new Supervisor({ spec: { id: 'bench.echo', mode: 'worker', entry: SDK_ENTRY, data: { module: file('ext.mjs') } }, pingIntervalMs: 0 });
    stoppers.push(() => sdkWorker.stop());
    await sdkWorker.start();
    let s = 0;
    const sdkRt = await measure('extension call (Supervisor + SDK entry, worker)', () => sdkWorker.call('echo', [s++]), opts);

    rows.push(row({ layer: 'ipc worker', name: 'raw MessagePort ping-pong (floor)', m: rawRt }));
    rows.push(row({ layer: 'ipc worker', name: 'plain comlink call', m: comlinkRt, floor: rawRt }));
    rows.push(row({ layer: 'ipc worker', name: 'bus call round trip', m: busRt, floor: rawRt, promise: '10-50 µs', aim: '≤ 2× raw MessagePort' }));
    rows.push(row({ layer: 'ipc worker', name: 'extension call via Supervisor + SDK (validation, ctx)', m: sdkRt, floor: rawRt, aim: '≤ 2× raw MessagePort' }));

    // ── shared memory ─────────────────────────────────────────────────────────────────────────
    const flags = new SharedArrayBuffer(8);
    const f = new Int32Array(flags);
    const sabWorker = new Worker(file('sab-worker.mjs'), { workerData: { flags } });
    stoppers.push(() => { Atomics.store(f, 0, -1); Atomics.notify(f, 0); return sabWorker.terminate(); });
    let seq = 0;
    const sabPing = () => { seq++; Atomics.store(f, 0, seq); Atomics.notify(f, 0); while (Atomics.load(f, 1) !== seq) Atomics.wait(f, 1, seq - 1, 1); };
    sabPing();
    const sabRt = await measure('raw SAB + Atomics ping-pong', sabPing, opts);
    const inbox = new RingChannel(1 << 16);
    const outbox = new RingChannel(1 << 16);
    const ringWorker = new Worker(file('ring-worker.mjs'), { workerData: { inbox: inbox.buffer, outbox: outbox.buffer, flags } });
    stoppers.push(() => { inbox.send(null); return ringWorker.terminate(); });
    let r = 0;
    const ringRt = await measure('ring channel round trip', () => { inbox.send(payload(r++)); outbox.receive(1_000); }, opts);
    const bytesIn = new Ring(1 << 16);
    const bytesOut = new Ring(1 << 16);
    const bytesWorker = new Worker(file('ring-worker.mjs'), { workerData: { bytes: true, inbox: bytesIn.buffer, outbox: bytesOut.buffer } });
    stoppers.push(() => { bytesIn.write(new Uint8Array(0)); return bytesWorker.terminate(); });
    const token = new TextEncoder().encode('a 24-byte token of text');
    const bytesRt = await measure('ring round trip, bytes', () => { bytesIn.write(token); bytesOut.read(1_000); }, opts);
    rows.push(row({ layer: 'ipc shared memory', name: 'raw SAB + Atomics ping-pong (floor)', m: sabRt }));
    rows.push(row({ layer: 'ipc shared memory', name: 'Ring round trip (24-byte message)', m: bytesRt, floor: sabRt, aim: '≤ 10 µs' }));
    rows.push(row({ layer: 'ipc shared memory', name: 'RingChannel round trip (msgpack {op,id,args})', m: ringRt, floor: sabRt, aim: '≤ 10 µs' }));

    // ── pipelined, 64 in flight ───────────────────────────────────────────────────────────────
    const rawPipe = perCall(await measure('raw MessagePort ×64', raw.pipelined, opts), PIPELINE);
    const comlinkPipe = perCall(await measure('comlink ×64', () => Promise.all(Array.from({ length: PIPELINE }, () => comlinkApi.echo([c++]))), opts), PIPELINE);
    const busPipe = perCall(await measure('bus ×64', () => Promise.all(Array.from({ length: PIPELINE }, () => bus.call('echo', [b++]))), opts), PIPELINE);
    rows.push(row({ layer: 'ipc pipelined (64 in flight)', name: 'raw MessagePort (floor)', m: rawPipe }));
    rows.push(row({ layer: 'ipc pipelined (64 in flight)', name: 'plain comlink', m: comlinkPipe, floor: rawPipe }));
    rows.push(row({ layer: 'ipc pipelined (64 in flight)', name: 'bus over a worker (batched frames)', m: busPipe, floor: rawPipe, promise: '100K ops/s', aim: '≥ 200K/s, ≥ 5× comlink' }));

    // ── child process ─────────────────────────────────────────────────────────────────────────
    const rawChild = fork(file('raw-child.mjs'), [], { serialization: 'advanced' });
    stoppers.push(() => rawChild.kill());
    await ready(rawChild);
    const rawProc = rawPeer(rawChild);
    const rawProcRt = await measure('raw process.send ping-pong', rawProc.roundTrip, opts);
    const busChild = fork(file('bus-echo.mjs'), [], { serialization: 'advanced' });
    stoppers.push(() => busChild.kill());
    const busProc = new BusClient(processEndpoint(busChild), { peer: 'bench.echo' });
    await busProc.ready;
    let p = 0;
    const busProcRt = await measure('bus call (process)', () => busProc.call('echo', [p++]), opts);
    const rawProcPipe = perCall(await measure('raw process.send ×64', rawProc.pipelined, opts), PIPELINE);
    const busProcPipe = perCall(await measure('bus process ×64', () => Promise.all(Array.from({ length: PIPELINE }, () => busProc.call('echo', [p++]))), opts), PIPELINE);
    // What `process` mode really uses: the SDK runtime over fd-3 frames (length-checked structured clone).
    const pipe = new Supervisor({ spec: { id: 'bench.echo', mode: 'process', entry: SDK_ENTRY, data: { module: file('ext.mjs') }, env: { ...process.env } }, pingIntervalMs: 0 });
    stoppers.push(() => pipe.stop());
    await pipe.start();
    let q = 0;
    const pipeRt = await measure('extension call (process, fd-3 frames)', () => pipe.call('echo', [q++]), opts);
    const pipePipe = perCall(await measure('process fd-3 ×64', () => Promise.all(Array.from({ length: PIPELINE }, () => pipe.call('echo', [q++]))), opts), PIPELINE);
    const sock = new Supervisor({ spec: { id: 'bench.echo', mode: 'socket', entry: SDK_ENTRY, data: { module: file('ext.mjs') }, env: { ...process.env } }, pingIntervalMs: 0 });
    stoppers.push(() => sock.stop());
    await sock.start();
    let k = 0;
    const sockRt = await measure('extension call (socket)', () => sock.call('echo', [k++]), opts);
    const sockPipe = perCall(await measure('socket ×64', () => Promise.all(Array.from({ length: PIPELINE }, () => sock.call('echo', [k++]))), opts), PIPELINE);
    rows.push(row({ layer: 'ipc process', name: "raw process.send ping-pong, 'advanced' (floor)", m: rawProcRt }));
    rows.push(row({ layer: 'ipc process', name: 'bus call round trip (fork IPC)', m: busProcRt, floor: rawProcRt, promise: '0.1-0.5 ms', aim: '≤ 2× raw fork IPC' }));
    rows.push(row({ layer: 'ipc process', name: 'extension call, process mode: fd-3 frames, capped (SDK)', m: pipeRt, floor: rawProcRt, promise: '0.1-0.5 ms', aim: '≤ 2× raw fork IPC' }));
    rows.push(row({ layer: 'ipc process', name: 'extension call over unix socket + msgpackr (SDK)', m: sockRt, floor: rawProcRt }));
    rows.push(row({ layer: 'ipc process pipelined (64)', name: 'raw process.send (floor)', m: rawProcPipe }));
    rows.push(row({ layer: 'ipc process pipelined (64)', name: 'bus over fork IPC (batched frames)', m: busProcPipe, floor: rawProcPipe, promise: '10-100K ops/s', aim: '≥ 100K/s' }));
    rows.push(row({ layer: 'ipc process pipelined (64)', name: 'extension, process mode: fd-3 frames (SDK)', m: pipePipe, floor: rawProcPipe, aim: '≥ 100K/s' }));
    rows.push(row({ layer: 'ipc process pipelined (64)', name: 'extension over unix socket (SDK)', m: sockPipe, floor: rawProcPipe, aim: '≥ 100K/s' }));

    // ── cold start: spawn to first reply ──────────────────────────────────────────────────────
    // Timed by hand: each run takes tens of ms, and tinybench would insist on 64 of them.
    const runs = quick ? 3 : 10;
    const rawWorkerCold = await coldStart('raw worker spawn', runs, async () => {
      const w = new Worker(file('raw-worker.mjs'));
      await ready(w);
      return () => w.terminate();
    });
    const extWorkerCold = await coldStart('extension worker', runs, async () => {
      const sup = new Supervisor({ spec: { id: 'bench.cold', mode: 'worker', entry: SDK_ENTRY, data: { module: file('ext.mjs') } }, pingIntervalMs: 0, graceMs: 100 });
      await sup.call('echo', 1);
      return () => sup.stop();
    });
    // The same activation from a spare worker that booted ahead of time (stage option `prewarm`).
    const warm = createWarmLauncher(createLauncher(), { size: 1, spare: { mode: 'worker', entry: SDK_ENTRY, data: { deferred: true } }, load: (spec) => ({ load: spec.data }) });
    stoppers.push(() => warm.close());
    const settle = () => new Promise((resolve) => setTimeout(resolve, quick ? 1_000 : 1_500)); // let the next spare boot (untimed)
    await settle();
    const warmCold = await coldStart('extension worker, pre-warmed', runs, async () => {
      const sup = new Supervisor({ spec: { id: 'bench.cold', mode: 'worker', entry: SDK_ENTRY, data: { module: file('ext.mjs') } }, launcher: warm, pingIntervalMs: 0, graceMs: 100 });
      await sup.call('echo', 1);
      return async () => {
        await sup.stop();
        await settle();
      };
    });
    const rawForkCold = await coldStart('raw fork', runs, async () => {
      const child = fork(file('raw-child.mjs'), [], { serialization: 'advanced' });
      await ready(child);
      return () => child.kill();
    });
    const extProcCold = await coldStart('extension process', runs, async () => {
      const sup = new Supervisor({ spec: { id: 'bench.cold', mode: 'process', entry: SDK_ENTRY, data: { module: file('ext.mjs') }, env: { ...process.env } }, pingIntervalMs: 0, graceMs: 100 });
      await sup.call('echo', 1);
      return () => sup.stop();
    });
    rows.push(row({ layer: 'ipc cold start', name: 'raw new Worker → first message (floor)', m: rawWorkerCold }));
    rows.push(row({ layer: 'ipc cold start', name: 'worker extension: spawn → first reply (SDK entry, zod, manifest check)', m: extWorkerCold, floor: rawWorkerCold }));
    rows.push(row({ layer: 'ipc cold start', name: 'worker extension from a pre-warmed spare: activation → first reply', m: warmCold, floor: rawWorkerCold }));
    rows.push(row({ layer: 'ipc cold start', name: 'raw fork → first message (floor)', m: rawForkCold }));
    rows.push(row({ layer: 'ipc cold start', name: 'process extension: spawn → first reply (SDK entry, zod, manifest check)', m: extProcCold, floor: rawForkCold }));
    return rows;
  } finally {
    for (const stop of stoppers.reverse()) await Promise.resolve(stop()).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
