import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createArbiter, type Grant, type Strategy } from '../src/index.js';
import { flush } from './helpers.js';

type Op = { kind: 'request'; tenant: number; priority: number; cpu: number; mem: number } | { kind: 'release'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), tenant: fc.nat(4), priority: fc.nat(3), cpu: fc.integer({ min: 1, max: 4 }), mem: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

/** Runs a script of requests and releases, then releases everything until nobody waits. */
async function run(strategy: Strategy, ops: Op[]) {
  const arbiter = createArbiter({
    resources: [{ id: 'cpu', capacity: 4, class: 'c' }, { id: 'mem', capacity: 8, class: 'c' }],
    strategies: { c: strategy },
    tenants: { t3: { weight: 2 } },
  });
  const held: Grant[] = [];
  let requested = 0;
  let granted = 0;
  const check = (): void => {
    const m = arbiter.metrics();
    let cpu = 0;
    let mem = 0;
    for (const t of Object.values(m.tenants)) {
      cpu += t.held.cpu ?? 0;
      mem += t.held.mem ?? 0;
    }
    expect(cpu).toBeLessThanOrEqual(4);
    expect(mem).toBeLessThanOrEqual(8);
  };
  for (const o of ops) {
    if (o.kind === 'request') {
      requested++;
      void arbiter.request({ tenant: `t${o.tenant}`, priority: o.priority, amounts: { cpu: o.cpu, mem: o.mem } }).then((g) => {
        granted++;
        held.push(g);
      });
    } else if (held.length > 0) {
      arbiter.release(held.splice(o.pick % held.length, 1)[0]!);
    }
    await flush();
    check();
  }
  for (let guard = 0; guard < 1_000 && (held.length > 0 || arbiter.metrics().pending > 0); guard++) {
    const g = held.shift();
    if (g) arbiter.release(g);
    await flush();
    check();
  }
  return { decisions: arbiter.decisions(), granted, requested, pending: arbiter.metrics().pending };
}

describe('arbitration invariants (property)', () => {
  for (const strategy of ['priority', 'fair-share', 'drf', 'fcfs'] as const) {
    it(`${strategy}: never over capacity, everyone served in the end, same inputs give the same decisions`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
          const first = await run(strategy, ops);
          expect(first.pending).toBe(0);
          expect(first.granted).toBe(first.requested);
          const second = await run(strategy, ops);
          expect(second.decisions).toEqual(first.decisions);
        }),
        { numRuns: 40 },
      );
    });
  }
});
