import { describe, expect, it } from 'vitest';
import { canonicalJson, createStale } from '../src/index.js';
import { expectCode, ledgerAt, trace } from './helpers.js';

describe('curation', () => {
  it('drops exact duplicates, scores near-duplicates low and new states high', async () => {
    const stale = createStale(ledgerAt());
    const base = trace(1);
    const first = await stale.record(base);
    expect(first.stored).toBe(true);
    expect(first.score.novelty).toBe(1);
    // The stored bytes are exactly the canonical JSON of the stored record.
    expect(Buffer.from(stale.getBytes(first.id)!).toString('utf8')).toBe(canonicalJson(stale.get(first.id)));
    const withRefs = await stale.record(trace(7, { stepId: 's1', artifacts: [{ name: 'x', version: 2 }], outcome: undefined }));
    expect(Buffer.from(stale.getBytes(withRefs.id)!).toString('utf8')).toBe(canonicalJson(stale.get(withRefs.id)));
    const again = await stale.record({ ...base, runId: 'another-run', at: Date.now() + 5 });
    expect(again).toMatchObject({ stored: false, id: first.id, score: { novelty: 0, duplicateOf: first.id } });
    const near = await stale.record({ ...base, state: (base.state as number[]).map((v) => v * 1.001), reward: 0.15 });
    expect(near.stored).toBe(true);
    expect(near.score.nearDuplicateOf).toBe(first.id);
    expect(near.score.novelty).toBeLessThan(0.5);
    const other = await stale.record({ ...base, state: [-5, 3, 0.1, 9], action: 'other-tool' });
    expect(other.score.novelty).toBe(1);
    expect(stale.removals().duplicates).toBe(1);
    expect(stale.stats().live).toBe(4);
  });

  it('scores surprising rewards as more informative', async () => {
    const stale = createStale(ledgerAt());
    await stale.recordMany(Array.from({ length: 20 }, (_, i) => ({ ...trace(i), questType: 'q', reward: 0.5 + (i % 2) * 0.01 })));
    const usual = stale.score({ ...trace(100), questType: 'q', reward: 0.505 });
    const surprising = stale.score({ ...trace(101), questType: 'q', reward: -3 });
    expect(surprising.informativeness).toBe(1);
    expect(usual.informativeness).toBeLessThan(0.1);
    expect(surprising.value).toBeGreaterThan(usual.value);
  });

  it('caps each quest type in the training set so one workflow cannot dominate', async () => {
    const stale = createStale(ledgerAt());
    await stale.recordMany(Array.from({ length: 40 }, (_, i) => ({ ...trace(i), questType: i < 34 ? 'busy' : 'rare' })));
    const set = stale.trainingSet({ limit: 10 });
    const count = (q: string) => set.filter((s) => s.record.questType === q).length;
    expect(set).toHaveLength(10);
    expect(count('busy')).toBe(5);
    expect(count('rare')).toBe(5);
    const capped = stale.trainingSet({ limit: 10, capPerQuestType: 2 });
    expect(capped.map((s) => s.record.questType).sort()).toEqual(['busy', 'busy', 'rare', 'rare']);
    const values = set.map((s) => s.score.value);
    expect(values.filter((v, i) => set[i]!.record.questType === 'busy')).toEqual([...values.filter((v, i) => set[i]!.record.questType === 'busy')].sort((a, b) => b - a));
  });

  it('rejects malformed traces listing every problem with its path', async () => {
    const stale = createStale(ledgerAt());
    const details = await expectCode(stale.record({ questType: '', state: [1, Number.NaN], action: 'a', outcome: null, reward: Infinity }), 'E_INPUT_INVALID');
    expect((details.issues as { path: string }[]).map((i) => i.path)).toEqual(['questType', 'reward', 'state.1']);
  });
});
