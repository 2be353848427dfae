import { afterAll, expect, it } from 'vitest';
import type { Supervisor } from '../src/index.js';
import { faulty } from './helpers.js';

const extensions: Supervisor[] = [];
afterAll(async () => {
  await Promise.all(extensions.map((s) => s.stop()));
});

// A deterministic pseudo-random sequence, so a failure can be replayed.
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

it('1,000 calls over 8 extensions with random faults: every call settles exactly once, the host stays up', async () => {
  for (let i = 0; i < 8; i++) {
    extensions.push(faulty(i % 2 === 0 ? 'worker' : 'process', { restart: { maxCrashes: 1_000, backoffMs: 5, maxBackoffMs: 20 }, pingTimeoutMs: 200 }, `soak.ext${i}`));
  }
  const next = random(20261126);
  const settled = new Map<number, number>();
  const counts: Record<string, number> = {};
  const wrongReplies: number[] = [];
  const lastOutcome = new Map<number, string>();
  const unexpected: string[] = [];
  const plan = (n: number) => {
    const s = extensions[Math.floor(next() * extensions.length)]!;
    const r = next();
    const settle = (outcome: string) => {
      settled.set(n, (settled.get(n) ?? 0) + 1);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      lastOutcome.set(n, outcome);
    };
    // Each kind of call has the outcomes it may end in; a crash of its extension is always one.
    let call: Promise<unknown>;
    let allowed: string[];
    if (r < 0.75) {
      allowed = ['ok'];
      call = s.call('echo', { n }).then((reply) => {
        if ((reply as { n: number }).n !== n) wrongReplies.push(n);
      });
    } else if (r < 0.85) [call, allowed] = [s.call('throws'), ['E_ROW_INVALID']];
    else if (r < 0.88) [call, allowed] = [s.call('exit'), []];
    else if (r < 0.94) [call, allowed] = [s.call('slow', { ms: 1_000 }, { timeoutMs: 20 }), ['E_TIMEOUT']];
    else if (r < 0.97) [call, allowed] = [s.call('nope'), ['E_METHOD_UNKNOWN']];
    else if (r < 0.99) [call, allowed] = [s.call('slow', { ms: 1_000 }, { signal: AbortSignal.timeout(10) }), ['E_ABORTED']];
    else [call, allowed] = [s.call('loop', undefined, { timeoutMs: 50 }), ['E_TIMEOUT']];
    allowed.push('E_EXTENSION_CRASHED', 'E_EXTENSION_START');
    return call.then(
      () => settle('ok'),
      (error) => settle((error as { code?: string }).code ?? 'uncoded'),
    ).then(() => {
      const last = lastOutcome.get(n)!;
      if (!allowed.includes(last)) unexpected.push(`${n}: ${last}`);
    });
  };
  const total = 1_000;
  for (let start = 0; start < total; start += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => plan(start + i)));
  }
  // Give any stray duplicate reply time to show up before counting.
  await new Promise((r) => setTimeout(r, 100));
  const crashes = extensions.reduce((sum, s) => sum + s.crashCount, 0);
  console.log(`soak: ${total} calls, outcomes ${JSON.stringify(counts)}, extension restarts ${crashes}`);
  expect(settled.size).toBe(total);
  expect([...settled.values()].every((times) => times === 1)).toBe(true);
  expect(wrongReplies).toEqual([]);
  expect(unexpected).toEqual([]);
  expect(counts.ok).toBeGreaterThan(0);
}, 60_000);
