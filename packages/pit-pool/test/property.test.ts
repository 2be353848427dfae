import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPool, type Lease } from '../src/index.js';
import { flush } from './helpers.js';

type Op =
  | { kind: 'try'; holder: number }
  | { kind: 'acquire'; holder: number; timeoutMs?: number }
  | { kind: 'release'; pick: number }
  | { kind: 'double-release'; pick: number }
  | { kind: 'crash'; holder: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('try' as const), holder: fc.nat(3) }),
  fc.record({ kind: fc.constant('acquire' as const), holder: fc.nat(3), timeoutMs: fc.option(fc.constant(1), { nil: undefined }) }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('double-release' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('crash' as const), holder: fc.nat(3) }),
);

describe('lease safety (property)', () => {
  it('never hands a slot out twice, never exceeds concurrency, never leaks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), async (ops, maxInstances, maxConcurrency) => {
        const pool = createPool({ timers: false });
        pool.register({ id: 'm', maxInstances, maxConcurrency, load: async ({ instanceId }) => ({ instanceId }) });
        const live = new Map<number, Lease<{ instanceId: number }>>();
        const dead: Lease[] = [];
        const seen = new Set<number>();
        const take = (lease: Lease<{ instanceId: number }> | undefined): void => {
          if (!lease) return;
          expect(seen.has(lease.id)).toBe(false); // a lease is handed out once
          seen.add(lease.id);
          live.set(lease.id, lease);
        };
        const check = (): void => {
          const perInstance = new Map<number, number>();
          for (const lease of live.values()) perInstance.set(lease.instance.instanceId, (perInstance.get(lease.instance.instanceId) ?? 0) + 1);
          for (const count of perInstance.values()) expect(count).toBeLessThanOrEqual(maxConcurrency);
          expect(perInstance.size).toBeLessThanOrEqual(maxInstances);
          const info = pool.model('m');
          for (const inst of info.instances) expect(inst.active).toBe(perInstance.get(inst.id) ?? 0);
        };
        for (const o of ops) {
          if (o.kind === 'try') take(pool.tryAcquire('m', `h${o.holder}`));
          else if (o.kind === 'acquire') pool.acquire<{ instanceId: number }>('m', { holder: `h${o.holder}`, timeoutMs: o.timeoutMs }).then(take, () => {});
          else if (o.kind === 'release' && live.size > 0) {
            const lease = [...live.values()][o.pick % live.size]!;
            expect(pool.release(lease)).toBe(true);
            live.delete(lease.id);
            dead.push(lease);
          } else if (o.kind === 'double-release' && dead.length > 0) {
            expect(pool.release(dead[o.pick % dead.length]!)).toBe(false);
          } else if (o.kind === 'crash') {
            const mine = [...live.values()].filter((l) => l.holder === `h${o.holder}`);
            expect(pool.reclaim(`h${o.holder}`)).toBe(mine.length);
            for (const l of mine) {
              live.delete(l.id);
              dead.push(l);
            }
          }
          await flush();
          check();
        }
        for (const lease of live.values()) pool.release(lease);
        await pool.close();
        await flush();
        expect(pool.model('m').instances.every((i) => i.active === 0)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
