import { describe, expect, it } from 'vitest';
import { createArbiter, jainIndex, type Grant } from '../src/index.js';

describe('Dominant Resource Fairness', () => {
  it('matches the worked example of Ghodsi et al. (2011): A gets 3 tasks, B gets 2', async () => {
    const arbiter = createArbiter({
      resources: [
        { id: 'cpu', capacity: 9, class: 'compute' },
        { id: 'mem', capacity: 18, class: 'compute' },
      ],
      strategies: { compute: 'drf' },
    });
    const granted: Record<string, number> = { A: 0, B: 0 };
    arbiter.batch(() => {
      for (let i = 0; i < 10; i++) {
        void arbiter.request({ tenant: 'A', amounts: { cpu: 1, mem: 4 } }).then(() => granted.A!++);
        void arbiter.request({ tenant: 'B', amounts: { cpu: 3, mem: 1 } }).then(() => granted.B!++);
      }
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(granted).toEqual({ A: 3, B: 2 });
    const m = arbiter.metrics();
    expect(m.tenants.A).toMatchObject({ dominantShare: 2 / 3, held: { cpu: 3, mem: 12 } });
    expect(m.tenants.B).toMatchObject({ dominantShare: 2 / 3, held: { cpu: 6, mem: 2 } });
    expect(m.jain).toBeCloseTo(1, 10);
    const grants = arbiter.decisions().filter((d) => d.action === 'grant');
    expect(grants.map((d) => d.tenant)).toEqual(['A', 'B', 'A', 'B', 'A']);
    expect(grants.every((d) => d.rule === 'drf')).toBe(true);
  });

  it('decides the same whatever order tenants were created in (stable tie-break)', () => {
    const run = (tenantOrder: string[]) => {
      const arbiter = createArbiter({
        resources: [{ id: 'slot', capacity: 5, class: 'c' }],
        strategies: { c: 'drf' },
        tenants: Object.fromEntries(tenantOrder.map((t) => [t, { weight: 1 }])),
      });
      arbiter.batch(() => {
        for (const t of ['x', 'y', 'z', 'x', 'y', 'z', 'x']) void arbiter.request({ tenant: t, amounts: { slot: 1 } });
      });
      return arbiter.decisions().map((d) => `${d.action}:${d.tenant}:${d.requestId}`);
    };
    expect(run(['z', 'y', 'x'])).toEqual(run(['x', 'y', 'z']));
  });
});

describe("Jain's fairness index", () => {
  it('is computed by the textbook formula', () => {
    expect(jainIndex([1, 1, 1, 1])).toBe(1);
    expect(jainIndex([1, 0, 0, 0])).toBe(0.25);
    expect(jainIndex([3, 3, 6])).toBeCloseTo(144 / 162, 12);
  });

  it('reports the expected value for a weighted workload under weighted fair share', () => {
    const arbiter = createArbiter({ resources: [{ id: 'slots', capacity: 12, class: 'cpu' }], strategies: { cpu: 'fair-share' } });
    const held: Record<string, Grant[]> = { A: [], B: [], C: [] };
    arbiter.batch(() => {
      for (const [tenant, weight, demand] of [['A', 1, 12], ['B', 1, 12], ['C', 2, 2]] as const) {
        for (let i = 0; i < demand; i++) void arbiter.request({ tenant, weight, amounts: { slots: 1 } }).then((g) => held[tenant]!.push(g));
      }
    });
    const m = arbiter.metrics();
    // C wants only 2 slots; A and B split the rest: 5, 5, 2. Weighted shares 5/12, 5/12, (2/12)/2.
    expect(m.tenants.A!.held.slots).toBe(5);
    expect(m.tenants.B!.held.slots).toBe(5);
    expect(m.tenants.C!.held.slots).toBe(2);
    const expected = jainIndex([5 / 12, 5 / 12, 1 / 12]);
    expect(Math.abs(m.jain - expected) / expected).toBeLessThan(0.01);
    expect(expected).toBeCloseTo(0.7908, 3);
    const s = arbiter.sample();
    expect(s.shares).toEqual({ A: 5 / 12, B: 5 / 12, C: 2 / 12 });
    expect(arbiter.history()).toHaveLength(1);
  });

  it('gives shares proportional to weight when everyone has demand (weighted index 1)', () => {
    const arbiter = createArbiter({ resources: [{ id: 'slots', capacity: 12, class: 'cpu' }], strategies: { cpu: 'fair-share' } });
    arbiter.batch(() => {
      for (const [tenant, weight] of [['A', 1], ['B', 1], ['C', 2]] as const) {
        for (let i = 0; i < 12; i++) void arbiter.request({ tenant, weight, amounts: { slots: 1 } });
      }
    });
    const m = arbiter.metrics();
    expect([m.tenants.A!.held.slots, m.tenants.B!.held.slots, m.tenants.C!.held.slots]).toEqual([3, 3, 6]);
    expect(Math.abs(m.jain - 1)).toBeLessThan(0.01);
    expect(Math.abs(m.jainRaw - 144 / 162) / (144 / 162)).toBeLessThan(0.01);
  });
});
