import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpoints } from '../src/checkpoint.js';
import { drive, harness } from './helpers.js';

describe('pit.dag on random DAGs (fast-check, real ledger)', () => {
  const h = harness(undefined, true, true);
  afterAll(() => h.close());
  // step:end is the acknowledgement that a step never runs again: when it is emitted, the
  // step's completion must already be readable from the ledger (committed), not only in memory.
  const records = new Checkpoints(h.ledger);
  const notDurableAtEnd: string[] = [];
  h.emitter.on('step:end', (e: { runId: string; stepId: string }) => {
    const status = records.step(e.runId, e.stepId)?.status;
    if (status !== 'done' && status !== 'skipped') notDurableAtEnd.push(`${e.runId}/${e.stepId}:${String(status)}`);
  });

  it('starts every step exactly once, never before its predecessors completed, acknowledges every step before the run ends, and succeeds', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 14 }).chain((size) =>
          fc.tuple(
            fc.constant(size),
            fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: size * 2 }),
            fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
          ),
        ),
        async ([size, pairs, concurrency]) => {
          const needs = Array.from({ length: size }, () => new Set<string>());
          for (const [a, b] of pairs) if (a < b) needs[b]?.add(`s${a}`);
          const runId = `p${n++}`;
          await h.dag.createRun(
            { name: 'prop', ...(concurrency ? { concurrency } : {}), steps: needs.map((ns, i) => ({ id: `s${i}`, uses: 'acme.x/run', needs: [...ns] })) },
            { runId },
          );
          let running = 0;
          let peak = 0;
          const completed = new Set<string>();
          const final = await drive(
            h.dag,
            runId,
            async (s) => {
              // Pipelined release: a step may start before its predecessors' step:end (their
              // commit), but never before the scheduler completed them.
              for (const up of needs[Number(s.stepId.slice(1))] as Set<string>) expect(completed.has(up)).toBe(true);
              peak = Math.max(peak, ++running);
              await new Promise((r) => setImmediate(r));
              running--;
              completed.add(s.stepId);
            },
            { withOutput: false },
          );
          expect(final.status).toBe('succeeded');
          expect(notDurableAtEnd).toEqual([]);
          if (concurrency) expect(peak).toBeLessThanOrEqual(concurrency);
          const mine = h.events.filter((e) => e.payload.runId === runId);
          const at = (name: string, id: string) => mine.findIndex((e) => e.name === name && e.payload.stepId === id);
          for (let i = 0; i < size; i++) {
            expect(mine.filter((e) => e.name === 'step:start' && e.payload.stepId === `s${i}`)).toHaveLength(1);
            for (const up of needs[i] as Set<string>) expect(at('step:start', up)).toBeLessThan(at('step:start', `s${i}`));
            expect(at('step:end', `s${i}`)).toBeGreaterThan(-1);
            expect(at('step:end', `s${i}`)).toBeLessThan(mine.findIndex((e) => e.name === 'run:end'));
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
