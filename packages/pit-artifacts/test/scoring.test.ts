import { afterEach, describe, expect, it } from 'vitest';
import { expectCode, openTempStore } from './helpers.js';

let stores: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of stores) await s.close();
  stores = [];
});

describe('quality scores', () => {
  it('scores schema validity, producer history and consumer feedback into [0, 1]', async () => {
    const temp = openTempStore({ schemas: { point: (v) => typeof (v as { x?: unknown }).x === 'number' } });
    stores.push(temp);
    const { store } = temp;
    const good = await store.put('p', { x: 1 }, { kind: 'point' });
    const bad = await store.put('p', { y: 1 }, { kind: 'point' });
    expect(store.info('p', good.version)?.scores).toEqual({ schema: 1 });
    expect(store.info('p', bad.version)?.score).toBe(0);
    expect(store.info('p', good.version)?.score).toBe(1);

    const producer = { extensionId: 'acme.maker' };
    await store.recordOutcome(producer, true);
    await store.recordOutcome(producer, true);
    await store.recordOutcome(producer, false);
    const made = await store.put('made', 'text', { producer });
    expect(store.info('made')?.scores.producer).toBeCloseTo(3 / 5);

    expect(await store.feedback(made, 1)).toBeCloseTo((3 / 5 + 1) / 2);
    expect(await store.feedback(made, 0)).toBeCloseTo((3 / 5 + 0.5) / 2);
    expect(store.info('made')?.scores.feedback).toBe(0.5);
    await expectCode(store.feedback(made, 2), 'E_INPUT_INVALID');
    await expectCode(store.feedback({ name: 'made', version: 9 }, 1), 'E_NOT_FOUND');
    await expectCode(store.recordOutcome({}, true), 'E_INPUT_INVALID');
  });

  it('gives 0.5 with no signal and 0 to JSON-typed text that does not parse', async () => {
    const temp = openTempStore();
    stores.push(temp);
    await temp.store.put('plain', new Uint8Array([1]));
    await temp.store.put('broken', 'not json', { contentType: 'application/json' });
    expect(temp.store.info('plain')?.score).toBe(0.5);
    expect(temp.store.info('broken')?.score).toBe(0);
  });

  it('takes custom scorers and ignores one that throws', async () => {
    const temp = openTempStore({
      scorers: [
        { name: 'length', score: ({ data }) => Math.min(1, data.length / 10) },
        { name: 'broken', score: () => { throw new Error('no'); } },
      ],
    });
    stores.push(temp);
    await temp.store.put('s', 'abcde');
    expect(temp.store.info('s')?.scores).toEqual({ length: 0.5 });
  });
});
