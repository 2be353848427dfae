// Pit layer floor: a service call through the kernel vs a direct call vs a Map lookup + call.
import { createKernel, definePlugin } from '@symphony/kernel';
import { EventEmitter as EE3 } from 'eventemitter3';
import { EventEmitter as NodeEE } from 'node:events';
import { measure, row } from '../lib.mjs';

export default async function kernelSuite({ quick }) {
  const api = { n: 0, bump(x) { this.n += x; return this.n; } };
  const kernel = createKernel({ plugins: [definePlugin({ name: 'pit.counter', version: '1.0.0', setup: () => api })] });
  await kernel.start();
  const map = new Map([['pit.counter', api]]);
  const held = kernel.service('pit.counter');
  const opts = { batch: 1000, quick };

  const direct = await measure('direct call api.bump()', () => api.bump(1), opts);
  const mapCall = await measure('Map get + call', () => map.get('pit.counter').bump(1), opts);
  const heldCall = await measure('held service call', () => held.bump(1), opts);
  const lookupCall = await measure("kernel.service('pit.counter').bump()", () => kernel.service('pit.counter').bump(1), opts);

  const ee3 = new EE3();
  const nodeEE = new NodeEE();
  let sink = 0;
  ee3.on('step:end', (e) => { sink += e.x; });
  nodeEE.on('step:end', (e) => { sink += e.x; });
  const payload = { x: 1 };
  const kernelEmit = await measure('kernel.events.emit (eventemitter3), 1 listener', () => ee3.emit('step:end', payload), opts);
  const nodeEmit = await measure('node:events emit, 1 listener', () => nodeEE.emit('step:end', payload), opts);
  await kernel.stop();
  if (sink < 0) console.log(sink);

  const layer = 'Pit op (kernel)';
  const promise = '50-100 ns';
  return [
    row({ layer, name: direct.name, m: direct, promise }),
    row({ layer, name: mapCall.name, m: mapCall, floor: direct, promise }),
    row({ layer, name: heldCall.name, m: heldCall, floor: direct, promise, aim: '≈ direct call' }),
    row({ layer, name: lookupCall.name, m: lookupCall, floor: mapCall, promise, aim: 'lookup ≤ 50 ns' }),
    row({ layer: 'kernel event bus', name: kernelEmit.name, m: kernelEmit, floor: nodeEmit }),
  ];
}
