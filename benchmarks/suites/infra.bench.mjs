// Infrastructure on the hot path: metrics observations, hook calls and log calls, each beside the
// raw floor it wraps; manifest and config validation beside JSON.parse of the same text.
import { Writable } from 'node:stream';
import { createHooks } from '@symphony/hooks';
import { createLogger } from '@symphony/logging';
import { createMetrics } from '@symphony/metrics';
import { parseManifest } from '@symphony/manifest';
import { parseConfig } from '@symphony/config';
import { measure, row } from '../lib.mjs';

const manifestText = JSON.stringify({
  id: 'acme.csv', version: '1.2.0', kind: 'operator', main: 'dist/index.js', engines: { symphony: '^0.1.0' },
  permissions: { fs: { read: ['${workspace}/**/*.csv'], write: ['${tmp}/acme'] }, net: { hosts: ['api.acme.dev'] }, env: ['ACME_*'] },
  contributes: { methods: { parse: { input: { type: 'object', properties: { path: { type: 'string' } } } } }, capabilities: [{ name: 'table.parse', method: 'parse' }] },
  dependencies: { 'acme.files': '^2.0.0' }, activation: ['onMethod:parse'],
});
const configText = JSON.stringify({ plugins: ['@symphony/pit-dag'], pluginOptions: { 'pit.dag': { checkpoint: true } }, server: { port: 8080 }, logging: { level: 'debug' } });

export default async function infraSuite({ quick }) {
  const hot = { batch: 1000, quick };
  const rows = [];

  // metrics: a held labelled child vs bumping a plain counter array (what a histogram does at heart)
  const metrics = createMetrics();
  const acquire = metrics.pitOp.labels('pit.pool', 'acquire');
  const buckets = new Float64Array(12);
  let i = 0;
  const floorBump = await measure('floor: Float64Array bucket bump', () => { buckets[(i++ & 7)] += 1; }, hot);
  const held = await measure('metrics.pitOp held child .observe(v)', () => acquire.observe(1e-7), hot);
  const labelled = await measure("metrics.pitOp.observe({service, op}, v)", () => metrics.pitOp.observe({ service: 'pit.pool', op: 'acquire' }, 1e-7), hot);
  const floorClock = await measure('floor: 2 × process.hrtime.bigint()', () => { process.hrtime.bigint(); process.hrtime.bigint(); }, hot);
  const timed = await measure('metrics.time(histogram, labels)() start + observe', () => metrics.time(metrics.conductorDecision, { policy: 'onnx' })(), hot);
  const layer = 'metrics (infra)';
  rows.push(
    row({ layer, name: held.name, m: held, floor: floorBump, aim: 'negligible beside a 100 ns Pit op' }),
    row({ layer, name: labelled.name, m: labelled, floor: floorBump, aim: 'use held children on hot paths' }),
    row({ layer, name: timed.name, m: timed, floor: floorClock }),
  );

  // hooks: a serial call with one hook vs awaiting the function directly
  const hooks = createHooks();
  let sink = 0;
  const fn = (e) => { sink += e.x; };
  hooks.hook('run:step:after', fn);
  const payload = { x: 1 };
  const floorAwait = await measure('floor: await fn(e) directly', async () => { await fn(payload); }, { batch: 100, quick });
  const serial = await measure("hooks.callHook('run:step:after', e), 1 hook", () => hooks.callHook('run:step:after', payload), { batch: 100, quick });
  const parallel = await measure("hooks.callHookParallel('run:step:after', e), 1 hook", () => hooks.callHookParallel('run:step:after', payload), { batch: 100, quick });
  const none = await measure("hooks.callHook('run:end'), no hooks", () => hooks.callHook('run:end', payload), { batch: 100, quick });
  rows.push(
    row({ layer: 'hooks (infra)', name: serial.name, m: serial, floor: floorAwait }),
    row({ layer: 'hooks (infra)', name: parallel.name, m: parallel, floor: floorAwait }),
    row({ layer: 'hooks (infra)', name: none.name, m: none, floor: floorAwait }),
  );

  // logging: a call below the level vs an empty call; a JSON line vs JSON.stringify of it
  const devNull = new Writable({ write(_chunk, _enc, cb) { cb(); } });
  const logger = createLogger({ destination: devNull, level: 'info' });
  const noop = () => {};
  const floorNoop = await measure('floor: empty function call', () => noop({ a: 1 }, 'x'), hot);
  const disabled = await measure('logger.debug() below the level', () => logger.debug({ a: 1 }, 'x'), hot);
  const line = { level: 30, time: Date.now(), pid: process.pid, hostname: 'h', plugin: 'pit.dag', ready: 3, msg: 'ready set' };
  const floorJson = await measure('floor: JSON.stringify(line) + "\\n"', () => JSON.stringify(line) + '\n', { batch: 100, quick });
  const child = logger.child({ plugin: 'pit.dag' });
  const enabled = await measure('child.info({ready}, msg) to a stream', () => child.info({ ready: 3 }, 'ready set'), { batch: 100, quick });
  rows.push(
    row({ layer: 'logging (infra)', name: disabled.name, m: disabled, floor: floorNoop }),
    row({ layer: 'logging (infra)', name: enabled.name, m: enabled, floor: floorJson }),
  );

  // manifest and config: cold paths, reported for scale
  const floorParseM = await measure('floor: JSON.parse(manifest)', () => JSON.parse(manifestText), { batch: 10, quick });
  const manifest = await measure('parseManifest(json)', () => parseManifest(manifestText, 'json'), { batch: 10, quick });
  const floorParseC = await measure('floor: JSON.parse(config)', () => JSON.parse(configText), { batch: 10, quick });
  const config = await measure('parseConfig(json)', () => parseConfig(configText, 'json', { baseDir: '/srv' }), { batch: 10, quick });
  rows.push(
    row({ layer: 'manifest (infra)', name: manifest.name, m: manifest, floor: floorParseM }),
    row({ layer: 'config (infra)', name: config.name, m: config, floor: floorParseC }),
  );
  if (sink < 0) console.log(sink);
  return rows;
}
