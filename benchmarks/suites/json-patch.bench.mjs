// RFC 6902 JSON Patch: @symphony/state-sync's own applyJsonPatch beside the two npm libraries a
// user could pick instead (rfc6902, fast-json-patch), all under the store's contract: the input
// document is never mutated (the store's old state is shared with snapshots, history and
// subscribers), a failing patch changes nothing. The floor is structuredClone of the document
// (what a naive immutable apply costs). Each row names how many cases of the public
// json-patch-tests suite that implementation passes (../shared/conformance-data, when present).
// The libraries' mutating forms, which break that contract, are listed for reference.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { applyJsonPatch } from '@symphony/state-sync';
import * as rfc6902 from 'rfc6902';
import * as fastJsonPatch from 'fast-json-patch/index.mjs';
import { measure, row } from '../lib.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function conformanceCases() {
  const dirs = [process.env.SYMPHONY_CONFORMANCE_DATA, resolve(repoRoot, '../shared/conformance-data')];
  const dotGit = resolve(repoRoot, '.git');
  if (existsSync(dotGit) && statSync(dotGit).isFile()) {
    const gitdir = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'))?.[1]?.trim();
    if (gitdir) dirs.push(resolve(gitdir, '../../../../shared/conformance-data'));
  }
  const dir = dirs.find((d) => d && existsSync(resolve(d, 'json-patch-tests.json')));
  if (!dir) return undefined;
  return ['json-patch-tests.json', 'json-patch-spec_tests.json']
    .flatMap((f) => JSON.parse(readFileSync(resolve(dir, f), 'utf8')))
    .filter((c) => !c.disabled);
}

/** Each implementation as `(doc, ops) => newDoc`, throwing on a refused patch, never mutating doc. */
const implementations = {
  'state-sync applyJsonPatch': (doc, ops) => applyJsonPatch(doc, ops),
  'rfc6902 applyPatch on a structuredClone': (doc, ops) => {
    const copy = structuredClone(doc);
    const error = rfc6902.applyPatch(copy, ops).find((e) => e !== null);
    if (error) throw error;
    return copy;
  },
  'fast-json-patch applyPatch (validate, mutateDocument=false)': (doc, ops) => fastJsonPatch.applyPatch(doc, ops, true, false).newDocument,
};

function conformance(apply, cases) {
  let passed = 0;
  for (const c of cases) {
    const before = JSON.stringify(c.doc);
    let out;
    let failed = false;
    try { out = apply(c.doc, c.patch); } catch { failed = true; }
    const ok = c.error !== undefined ? failed : !failed && (!('expected' in c) || isDeepStrictEqual(out, c.expected));
    if (ok && JSON.stringify(c.doc) === before) passed++;
  }
  return passed;
}

export default async function jsonPatchSuite({ quick }) {
  const rows = [];
  const layer = 'state sync';
  const opts = { quick, time: quick ? 150 : 600 };
  const cases = conformanceCases();
  const score = Object.fromEntries(Object.entries(implementations).map(([name, apply]) => [name, cases ? `passes ${conformance(apply, cases)}/${cases.length} of json-patch-tests` : 'json-patch-tests absent']));

  const docs = {
    '1,000-run doc': { runs: Object.fromEntries(Array.from({ length: 1000 }, (_, r) => [`r${r}`, { status: 'running', steps: { a: 'ok', b: 'pending' } }])) },
    '10-run doc': { runs: Object.fromEntries(Array.from({ length: 10 }, (_, r) => [`r${r}`, { status: 'running', steps: { a: 'ok', b: 'pending' } }])) },
  };
  for (const [label, doc] of Object.entries(docs)) {
    const n = Object.keys(doc.runs).length;
    // A typical change: test a precondition, replace a status, add a step, copy it, remove it.
    const patches = Array.from({ length: 16 }, (_, v) => {
      const r = `r${(v * 7) % n}`;
      return [
        { op: 'test', path: `/runs/${r}/steps/a`, value: 'ok' },
        { op: 'replace', path: `/runs/${r}/status`, value: v & 1 ? 'done' : 'failed' },
        { op: 'add', path: `/runs/${r}/steps/c`, value: { started: v, tags: ['x', 'y'] } },
        { op: 'copy', from: `/runs/${r}/steps/c`, path: `/runs/${r}/steps/d` },
        { op: 'remove', path: `/runs/${r}/steps/b` },
      ];
    });
    const before = JSON.stringify(doc);
    let i = 0;
    const floor = await measure(`floor: structuredClone(${label})`, () => structuredClone(doc), opts);
    rows.push(row({ layer, name: floor.name, m: floor }));
    for (const [name, apply] of Object.entries(implementations)) {
      const m = await measure(`${name}, 5 ops, ${label} (${score[name]})`, () => apply(doc, patches[i++ & 15]), opts);
      rows.push(row({ layer, name: m.name, m, floor }));
    }
    if (JSON.stringify(doc) !== before) throw new Error('an implementation mutated its input');

    // Reference only: the libraries' mutating forms (the caller's document is changed in place,
    // which the store cannot allow). Same patches with the add/remove undone each time.
    const undo = (r) => [{ op: 'remove', path: `/runs/${r}/steps/c` }, { op: 'remove', path: `/runs/${r}/steps/d` }, { op: 'add', path: `/runs/${r}/steps/b`, value: 'pending' }];
    const work = structuredClone(doc);
    const rfcMut = await measure(`reference, mutates its input: rfc6902 applyPatch in place, 5 ops + 3 to undo, ${label}`, () => {
      const k = i++ & 15;
      rfc6902.applyPatch(work, patches[k]);
      rfc6902.applyPatch(work, undo(`r${(k * 7) % n}`));
    }, opts);
    const fjpMut = await measure(`reference, mutates its input: fast-json-patch applyPatch in place (validate), 5 ops + 3 to undo, ${label}`, () => {
      const k = i++ & 15;
      fastJsonPatch.applyPatch(work, patches[k], true, true);
      fastJsonPatch.applyPatch(work, undo(`r${(k * 7) % n}`), true, true);
    }, opts);
    rows.push(row({ layer, name: rfcMut.name, m: rfcMut, floor }), row({ layer, name: fjpMut.name, m: fjpMut, floor }));
  }
  return rows;
}
