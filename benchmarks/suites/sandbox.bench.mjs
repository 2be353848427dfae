// The sandbox's cost beside its floors, all measured in this run: a policy decision (resolve +
// match) vs realpath(3) alone; an extension call in process mode under the sandbox (bubblewrap
// when it can run here, Node's permission model, the in-process layer, the host-side guard) vs
// the same call unsandboxed; and cold start, sandboxed vs not.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Supervisor, createLauncher } from '@symphony/ipc-bus';
import { createPermissionSet, createPolicy, createSandbox, probeBubblewrap } from '@symphony/sandbox';
import { measure, row, coldStart } from '../lib.mjs';

const require = createRequire(import.meta.url);
const SDK = pathToFileURL(require.resolve('@symphony/sdk')).href;
const SDK_ENTRY = require.resolve('@symphony/sdk/runtime/entry');

const EXT = `import { defineOperator } from '${SDK}';
export default defineOperator({ manifest: { id: 'bench.echo', version: '1.0.0' }, methods: { echo: (x) => x } });`;
const MANIFEST = { id: 'bench.echo', version: '1.0.0', kind: 'operator', main: 'index.mjs', permissions: { fs: { read: ['${workspace}'] } } };

export default async function sandboxSuite({ quick }) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'symphony-sandbox-bench-')));
  const ext = join(dir, 'ext');
  const ws = join(dir, 'ws');
  mkdirSync(ext);
  mkdirSync(join(ws, 'src', 'deep'), { recursive: true });
  writeFileSync(join(ext, 'index.mjs'), EXT);
  writeFileSync(join(ext, 'symphony.extension.json'), JSON.stringify(MANIFEST));
  writeFileSync(join(ws, 'src', 'deep', 'file.ts'), 'x');
  const opts = { quick, time: 1_000 };
  const rows = [];
  const stoppers = [];
  const bwrap = probeBubblewrap();
  try {
    // ── the policy engine, in-process ─────────────────────────────────────────────────────────
    const vars = { workspace: ws, extension: ext, tmp: join(dir, 'tmp') };
    const policy = createPolicy({ manifest: createPermissionSet({ fs: { read: ['${workspace}'], write: ['${workspace}/out'] } }, vars) });
    const target = join(ws, 'src', 'deep', 'file.ts');
    const floorRealpath = await measure('realpathSync.native (floor)', () => realpathSync.native(target), { ...opts, batch: 100 });
    const decide = await measure('policy.decide fs.read', () => policy.decide({ kind: 'fs.read', path: target }), { ...opts, batch: 100 });
    rows.push(row({ layer: 'sandbox policy', name: 'realpath(3) of a 6-deep path (floor)', m: floorRealpath }));
    rows.push(row({ layer: 'sandbox policy', name: 'policy.decide fs.read: resolve + match + rule id', m: decide, floor: floorRealpath, aim: 'close to realpath' }));

    // ── one extension, process mode: unsandboxed vs sandboxed ───────────────────────────────────
    // The variants are measured in interleaved rounds (median of the rounds' medians), so a change
    // in the machine's load during the run does not land on one variant only.
    const spec = (id) => ({ id, mode: 'process', entry: SDK_ENTRY, data: { module: join(ext, 'index.mjs') }, cwd: ext, env: { ...process.env } });
    const variants = [{ key: 'plain', label: 'unsandboxed (floor)' }, { key: 'off', label: 'sandboxed: Node permission model + in-process layer + guard, no bubblewrap' }];
    if (bwrap.available) variants.splice(1, 0, { key: 'require', label: 'sandboxed: bubblewrap + Node permission model + in-process layer + guard' });
    const sandboxes = [];
    for (const variant of variants) {
      let launcher;
      if (variant.key !== 'plain') {
        const sandbox = createSandbox({ home: join(dir, `home-${variant.key}`), workspace: ws, bubblewrap: variant.key });
        sandboxes.push({ variant, sandbox });
        stoppers.push(() => sandbox.close());
        launcher = sandbox.wrapLauncher(createLauncher({ spawnWrapper: sandbox.spawnWrapper }));
      }
      variant.sup = new Supervisor({ spec: spec('bench.echo'), ...(launcher ? { launcher } : {}), pingIntervalMs: 0, graceMs: 100 });
      stoppers.push(() => variant.sup.stop());
      await variant.sup.start();
      variant.runs = [];
    }
    const rounds = quick ? 1 : 3;
    for (let r = 0; r < rounds; r++) {
      for (const variant of variants) {
        let i = 0;
        variant.runs.push(await measure(`process call, ${variant.key}`, () => variant.sup.call('echo', [i++]), opts));
      }
    }
    const medianOf = (runs) => {
      const sorted = [...runs].sort((a, b) => a.medianNs - b.medianNs);
      return sorted[Math.floor(sorted.length / 2)];
    };
    const plainRt = medianOf(variants[0].runs);
    rows.push(row({ layer: 'sandbox call', name: 'process extension call, unsandboxed (floor)', m: plainRt }));
    for (const variant of variants.slice(1)) {
      rows.push(row({ layer: 'sandbox call', name: `process extension call, ${variant.label}`, m: medianOf(variant.runs), floor: plainRt, aim: '≤ 1.1× unsandboxed' }));
    }

    // ── cold start ──────────────────────────────────────────────────────────────────────────────
    const runs = quick ? 3 : 8;
    const plainCold = await coldStart('cold unsandboxed', runs, async () => {
      const sup = new Supervisor({ spec: spec('bench.echo'), pingIntervalMs: 0, graceMs: 100 });
      await sup.call('echo', 1);
      return () => sup.stop();
    });
    rows.push(row({ layer: 'sandbox cold start', name: 'process extension spawn → first reply, unsandboxed (floor)', m: plainCold }));
    for (const { variant, sandbox } of sandboxes) {
      const launcher = sandbox.wrapLauncher(createLauncher({ spawnWrapper: sandbox.spawnWrapper }));
      const cold = await coldStart(`cold ${variant.key}`, runs, async () => {
        const sup = new Supervisor({ spec: spec('bench.echo'), launcher, pingIntervalMs: 0, graceMs: 100 });
        await sup.call('echo', 1);
        return () => sup.stop();
      });
      rows.push(row({ layer: 'sandbox cold start', name: `spawn → first reply, ${variant.label}`, m: cold, floor: plainCold }));
    }
    return rows;
  } finally {
    for (const stop of stoppers.reverse()) await Promise.resolve(stop()).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
