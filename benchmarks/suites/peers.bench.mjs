// Peers a user could pick instead of Symphony's parts, side by side in one process and one run:
// a worker round trip over plain comlink, a piscina task, and Symphony's bus, each beside a raw
// MessagePort ping-pong (one at a time and 64 in flight); eventemitter3 (the kernel's bus) beside
// node:events and the real kernel.events.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter as NodeEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { EventEmitter as EE3 } from 'eventemitter3';
import { Piscina } from 'piscina';
import { BusClient, workerEndpoint } from '@symphony/ipc-bus';
import { createKernel } from '@symphony/kernel';
import { measure, row } from '../lib.mjs';

const require = createRequire(import.meta.url);
const comlinkDir = dirname(require.resolve('comlink'));
const COMLINK = pathToFileURL(join(comlinkDir, '../esm/comlink.mjs')).href;
const NODE_ADAPTER = pathToFileURL(join(comlinkDir, '../esm/node-adapter.mjs')).href;
const BUS = pathToFileURL(require.resolve('@symphony/ipc-bus')).href;
const PIPELINE = 64;

const SCRIPTS = {
  'raw.mjs': `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => parentPort.postMessage(m));`,
  'comlink.mjs': `import { parentPort } from 'node:worker_threads';
import * as Comlink from '${COMLINK}';
import nodeEndpoint from '${NODE_ADAPTER}';
Comlink.expose({ echo: (x) => x }, nodeEndpoint(parentPort));`,
  'piscina-task.mjs': `export default (x) => x;`,
  'bus.mjs': `import { serve, hostEndpoint } from '${BUS}';
serve(await hostEndpoint(), { methods: ['echo'], handle: (_m, input) => input, onShutdown: () => process.exit(0) });`,
};

const payload = (i) => ({ op: 'echo', id: i, args: [i] });
const perCall = (m, n) => ({ ...m, medianNs: m.medianNs / n, p99Ns: m.p99Ns / n, meanNs: m.meanNs / n, opsPerSec: m.opsPerSec * n });
const many = (call) => () => Promise.all(Array.from({ length: PIPELINE }, call));

function rawPeer(worker) {
  const waiting = [];
  worker.on('message', () => waiting.shift()?.());
  let i = 0;
  const one = () => new Promise((resolve) => { waiting.push(resolve); worker.postMessage(payload(i++)); });
  return { one, many: many(one) };
}

export default async function peersSuite({ quick }) {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-peers-bench-'));
  for (const [name, code] of Object.entries(SCRIPTS)) writeFileSync(join(dir, name), code);
  const opts = { quick, time: 800 };
  const stoppers = [];
  try {
    const rawWorker = new Worker(join(dir, 'raw.mjs'));
    stoppers.push(() => rawWorker.terminate());
    const raw = rawPeer(rawWorker);
    await raw.one();

    const comlinkWorker = new Worker(join(dir, 'comlink.mjs'));
    stoppers.push(() => comlinkWorker.terminate());
    const comlink = Comlink.wrap((await import(NODE_ADAPTER)).default(comlinkWorker));
    await comlink.echo(0);

    const piscina = new Piscina({ filename: pathToFileURL(join(dir, 'piscina-task.mjs')).href, minThreads: 1, maxThreads: 1, idleTimeout: 60_000 });
    stoppers.push(() => piscina.destroy());
    await piscina.run(0);

    const busWorker = new Worker(join(dir, 'bus.mjs'));
    stoppers.push(() => busWorker.terminate());
    const bus = new BusClient(workerEndpoint(busWorker), { peer: 'peers.echo' });
    await bus.ready;

    let i = 0;
    const rawRt = await measure('raw MessagePort ping-pong', raw.one, opts);
    const comlinkRt = await measure('plain comlink call (comlink 4.4.2)', () => comlink.echo(payload(i++)), opts);
    const piscinaRt = await measure('piscina run() task round trip (piscina 5.3.2, 1 thread)', () => piscina.run(payload(i++)), opts);
    const busRt = await measure('Symphony bus call (BusClient ↔ serve)', () => bus.call('echo', payload(i++)), opts);

    const rawPipe = perCall(await measure('raw MessagePort ×64', raw.many, opts), PIPELINE);
    const comlinkPipe = perCall(await measure('plain comlink ×64', many(() => comlink.echo(payload(i++))), opts), PIPELINE);
    const piscinaPipe = perCall(await measure('piscina run() ×64', many(() => piscina.run(payload(i++))), opts), PIPELINE);
    const busPipe = perCall(await measure('Symphony bus ×64', many(() => bus.call('echo', payload(i++))), opts), PIPELINE);

    // The kernel's event bus: eventemitter3, as DESIGN.md fixes it, beside node:events.
    const kernel = createKernel({ plugins: [] });
    await kernel.start();
    stoppers.push(() => kernel.stop());
    const node = new NodeEmitter();
    const ee3 = new EE3();
    let sink = 0;
    const listener = (e) => { sink += e.x; };
    node.on('step:end', listener);
    ee3.on('step:end', listener);
    kernel.events.on('step:end', listener);
    const event = { x: 1 };
    const fast = { quick, batch: 1000 };
    const nodeEmit = await measure('node:events emit, 1 listener', () => node.emit('step:end', event), fast);
    const ee3Emit = await measure('eventemitter3 emit, 1 listener (eventemitter3 5.0.4)', () => ee3.emit('step:end', event), fast);
    const kernelEmit = await measure('kernel.events.emit, 1 listener', () => kernel.events.emit('step:end', event), fast);
    const nodeNone = await measure('node:events emit, no listener', () => node.emit('nobody', event), fast);
    const ee3None = await measure('eventemitter3 emit, no listener', () => ee3.emit('nobody', event), fast);
    if (sink < 0) console.log(sink);

    const worker = 'peers: worker round trip';
    const pipelined = 'peers: worker, 64 in flight';
    const events = 'peers: kernel event bus';
    return [
      row({ layer: worker, name: 'raw MessagePort ping-pong (floor)', m: rawRt }),
      row({ layer: worker, name: comlinkRt.name, m: comlinkRt, floor: rawRt }),
      row({ layer: worker, name: piscinaRt.name, m: piscinaRt, floor: rawRt }),
      row({ layer: worker, name: busRt.name, m: busRt, floor: rawRt, promise: '10-50 µs', aim: '≤ 2× raw MessagePort' }),
      row({ layer: pipelined, name: 'raw MessagePort (floor)', m: rawPipe }),
      row({ layer: pipelined, name: comlinkPipe.name, m: comlinkPipe, floor: rawPipe }),
      row({ layer: pipelined, name: piscinaPipe.name, m: piscinaPipe, floor: rawPipe }),
      row({ layer: pipelined, name: busPipe.name, m: busPipe, floor: rawPipe, promise: '100K ops/s', aim: '≥ 200K/s, ≥ 5× comlink' }),
      row({ layer: events, name: 'node:events emit, 1 listener (floor)', m: nodeEmit }),
      row({ layer: events, name: ee3Emit.name, m: ee3Emit, floor: nodeEmit }),
      row({ layer: events, name: kernelEmit.name, m: kernelEmit, floor: nodeEmit }),
      row({ layer: events, name: ee3None.name, m: ee3None, floor: nodeNone }),
    ];
  } finally {
    for (const stop of stoppers.reverse()) await Promise.resolve(stop()).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
