import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ArtifactQuery, ArtifactVersion } from '@symphony/types';
import { openTempStore } from './helpers.js';

const kinds = ['dataset', 'model', 'report'];
const tags = ['a', 'b', 'c'];
const runs = ['r1', 'r2'];
const exts = ['acme.x', 'acme.y'];

describe('find: index range scans agree with a brute-force filter', () => {
  let clock = 1_000;
  const temp = openTempStore({ now: () => clock });
  afterAll(() => temp.close());

  it('for random artifacts and random queries', async () => {
    const all: ArtifactVersion[] = [];
    const items = fc.sample(
      fc.record({
        name: fc.constantFrom('n/a', 'n/b', 'm/c', 'm/d'),
        kind: fc.option(fc.constantFrom(...kinds), { nil: undefined }),
        tags: fc.uniqueArray(fc.constantFrom(...tags), { maxLength: 2 }),
        runId: fc.option(fc.constantFrom(...runs), { nil: undefined }),
        extensionId: fc.option(fc.constantFrom(...exts), { nil: undefined }),
        dt: fc.integer({ min: 0, max: 3 }),
      }),
      { numRuns: 300, seed: 42 },
    );
    for (const item of items) {
      clock += item.dt;
      const producer = { ...(item.runId ? { runId: item.runId, stepId: 's' } : {}), ...(item.extensionId ? { extensionId: item.extensionId } : {}) };
      const ref = await temp.store.put(item.name, `${clock}`, {
        ...(item.kind ? { kind: item.kind } : {}),
        tags: item.tags,
        producer,
      });
      all.push(temp.store.info(ref.name, ref.version) as ArtifactVersion);
    }
    const query = fc.record(
      {
        kind: fc.constantFrom(...kinds),
        tag: fc.constantFrom(...tags),
        since: fc.integer({ min: 1_000, max: clock + 1 }),
        until: fc.integer({ min: 1_000, max: clock + 2 }),
        producer: fc.oneof(fc.record({ runId: fc.constantFrom(...runs) }), fc.record({ extensionId: fc.constantFrom(...exts) })),
        namePrefix: fc.constantFrom('n/', 'm/', 'm/c'),
        reverse: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(query, (q: ArtifactQuery) => {
        if (q.since !== undefined && q.until !== undefined && q.until < q.since) q = { ...q, until: q.since };
        const expected = all.filter(
          (v) =>
            (q.kind === undefined || v.kind === q.kind) &&
            (q.tag === undefined || v.tags.includes(q.tag)) &&
            (q.since === undefined || v.createdAt >= q.since) &&
            (q.until === undefined || v.createdAt < q.until) &&
            (q.producer?.runId === undefined || v.producer?.runId === q.producer.runId) &&
            (q.producer?.extensionId === undefined || v.producer?.extensionId === q.producer.extensionId) &&
            (q.namePrefix === undefined || v.name.startsWith(q.namePrefix)),
        );
        const key = (v: ArtifactVersion) => `${v.name}@${v.version}`;
        const got = temp.store.find(q);
        expect(got.map(key).sort()).toEqual(expected.map(key).sort());
        const times = got.map((v) => v.createdAt);
        expect(times).toEqual([...times].sort((a, b) => (q.reverse ? b - a : a - b)));
      }),
      { numRuns: 200, seed: 7 },
    );
    expect(temp.store.find({ kind: 'model', limit: 3 })).toHaveLength(3);
  });
});
