// The virtual-DOM bridge: a 1% change of a 1,000- and a 10,000-node tree, diffed and serialized,
// beside JSON.stringify of the whole tree (the raw floor: what sending the tree costs) in the same
// run; patch bytes beside tree bytes; and the extension-side render (lower + validate + diff).
import { applyPatches, createUiRoot, diff, encodePatches, ui } from '@symphony/vdom';
import { applyJsonPatch, openStateStore } from '@symphony/state-sync';
import { measure, row } from '../lib.mjs';

/** Seeded PRNG so every run measures the same trees. */
function prng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A breadth-first tree of `n` elements, 1-8 children each, props like a real UI's. */
function buildTree(n, rnd) {
  let made = 1;
  const root = { type: 'Stack', key: 'root', props: { gap: 2 }, children: [] };
  const queue = [root];
  while (made < n) {
    const parent = queue.shift();
    const k = Math.min(1 + Math.floor(rnd() * 8), n - made);
    for (let i = 0; i < k; i++) {
      const id = made++;
      const leaf = rnd() < 0.6;
      const node = leaf
        ? { type: 'Text', key: `n${id}`, props: { tone: 'muted', mono: false }, children: [`row ${id} · value ${Math.floor(rnd() * 1e6)}`] }
        : { type: 'Stack', key: `n${id}`, props: { direction: rnd() < 0.5 ? 'row' : 'column', gap: 2, align: 'start' }, children: [] };
      parent.children.push(node);
      if (!leaf) queue.push(node);
    }
    if (queue.length === 0) queue.push(parent); // keep growing under the last parent
  }
  return root;
}

function allPaths(tree) {
  const out = [];
  const walk = (node, path) => {
    if (typeof node === 'string') return;
    if (path.length > 0) out.push(path);
    node.children.forEach((c, i) => walk(c, [...path, i]));
  };
  walk(tree, []);
  return out;
}

/** Immutable update of `count` random nodes' props: copies only the paths to them. */
function changed(tree, paths, count, rnd, stamp) {
  let next = tree;
  for (let c = 0; c < count; c++) {
    const path = paths[Math.floor(rnd() * paths.length)];
    const update = (node, depth) => {
      if (depth === path.length) return { ...node, props: { ...node.props, 'data-v': stamp } };
      const children = node.children.slice();
      children[path[depth]] = update(children[path[depth]], depth + 1);
      return { ...node, children };
    };
    next = update(next, 0);
  }
  return next;
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

export default async function vdomSuite({ quick }) {
  const rows = [];
  const layer = 'virtual DOM update';
  const opts = { quick, time: quick ? 150 : 800 };
  for (const n of [1000, 10000]) {
    const rnd = prng(n);
    const tree = buildTree(n, rnd);
    const paths = allPaths(tree);
    const changes = n / 100;
    const variants = Array.from({ length: 8 }, (_, v) => changed(tree, paths, changes, rnd, v + 1));
    // Sanity: the patches really rebuild each variant (the invariant the tests prove).
    for (const b of variants) if (JSON.stringify(applyPatches(tree, diff(tree, b))) !== JSON.stringify(b)) throw new Error('diff/apply mismatch');
    const treeBytes = Buffer.byteLength(JSON.stringify(tree));
    const patchBytes = Buffer.byteLength(encodePatches(diff(tree, variants[0]), 'json'));
    const binaryBytes = encodePatches(diff(tree, variants[0]), 'binary').byteLength;
    const label = n.toLocaleString('en-US');
    let i = 0;

    const floor = await measure(`floor: JSON.stringify(whole ${label}-node tree) (${kib(treeBytes)})`, () => JSON.stringify(variants[i++ & 7]), opts);
    const json = await measure(`diff + JSON patches, 1% of ${label} nodes (patch ${kib(patchBytes)} = ${((patchBytes / treeBytes) * 100).toFixed(2)}% of tree)`,
      () => encodePatches(diff(tree, variants[i++ & 7]), 'json'), opts);
    const bin = await measure(`diff + binary patches, 1% of ${label} nodes (patch ${kib(binaryBytes)} = ${((binaryBytes / treeBytes) * 100).toFixed(2)}%)`,
      () => encodePatches(diff(tree, variants[i++ & 7]), 'binary'), opts);
    const patchesOf = variants.map((b) => diff(tree, b));
    const apply = await measure(`applyPatches, 1% of ${label} nodes (front end / host side)`, () => applyPatches(tree, patchesOf[i++ & 7]), opts);
    const aim = n === 1000 ? '≤ 50 µs; patch < 5% of tree' : '≤ 0.5 ms; patch < 5% of tree';
    rows.push(
      row({ layer, name: floor.name, m: floor, promise: '1-5 ms, 5K ops/s' }),
      row({ layer, name: json.name, m: json, floor, promise: '1-5 ms, 5K ops/s', aim }),
      row({ layer, name: bin.name, m: bin, floor, aim }),
      row({ layer, name: apply.name, m: apply, floor }),
    );

    // The extension side end to end: a source tree with handler functions, 1% of it rebuilt,
    // lowered (cached by identity), the changed nodes validated against the registry, diffed.
    const sources = [0, 1].map((flip) => {
      const src = ui.stack({ gap: 2 }, ...Array.from({ length: n / 10 }, (_, r) =>
        ui.stack({ key: `r${r}`, direction: 'row', gap: 1 },
          ...Array.from({ length: 9 }, (_, c) => ui.text({ key: `c${c}`, tone: 'muted' }, `cell ${r}.${c}`)))));
      return { src, flip };
    });
    // Second tree shares every row with the first except 1% of nodes (every 10th row's first cell).
    const base = sources[0].src;
    const other = { ...base, children: base.children.map((row, r) => (r % 10 === 0 ? { ...row, children: [ui.text({ key: 'c0', tone: 'success' }, `cell ${r}.0 done`), ...row.children.slice(1)] } : row)) };
    const root = createUiRoot();
    root.render(base);
    root.render(other);
    let flip = 0;
    const render = await measure(`UiRoot.render (lower + validate changed + diff) + JSON, 1% of ${label} nodes`,
      () => JSON.stringify(root.render((flip ^= 1) ? base : other).patches), opts);
    rows.push(row({ layer, name: render.name, m: render, floor, aim }));
  }

  // State sync: one small change to a store holding a 1,000-run document, beside cloning it.
  const doc = { runs: Object.fromEntries(Array.from({ length: 1000 }, (_, r) => [`r${r}`, { status: 'running', steps: { a: 'ok', b: 'pending' } }])) };
  const store = await openStateStore({ initial: doc, historyLimit: 1000 });
  let k = 0;
  const floorClone = await measure('floor: structuredClone(1,000-run state doc)', () => structuredClone(doc), opts);
  const apply = await measure('state-sync store.apply(1 replace op) on a 1,000-run doc', () => store.apply([{ op: 'replace', path: `/runs/r${k++ % 1000}/status`, value: k & 1 ? 'done' : 'running' }]), opts);
  const patchOnly = await measure('applyJsonPatch(1 replace op), immutable, 1,000-run doc', () => applyJsonPatch(doc, [{ op: 'replace', path: `/runs/r${k++ % 1000}/status`, value: 'done' }]), opts);
  rows.push(
    row({ layer: 'state sync', name: apply.name, m: apply, floor: floorClone }),
    row({ layer: 'state sync', name: patchOnly.name, m: patchOnly, floor: floorClone }),
  );
  return rows;
}
