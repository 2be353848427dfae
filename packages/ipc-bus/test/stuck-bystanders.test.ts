import { afterEach, describe, expect, it } from 'vitest';
import type { SymphonyError } from '@symphony/types';
import type { Supervisor } from '../src/index.js';
import { faulty } from './helpers.js';

// Outsider attack on issue 14: when the host terminates an instance whose cut-off call did not let
// go, the other calls in flight on it fail E_EXTENSION_CRASHED. They must say the host terminated
// it (`details.stuck`), or a caller charges the extension with a crash it never had.
const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe.each(['worker', 'process'] as const)('a stuck instance terminated in %s mode', (mode) => {
  it('fails the bystander call E_EXTENSION_CRASHED with details.stuck, and counts no crash', async () => {
    const s = faulty(mode);
    running.push(s);
    await s.call('pid');
    // A deaf wait that outlives its timeout, beside a call that would have finished later.
    const deaf = s.call('sleep', 60_000, { timeoutMs: 100 });
    const bystander = s.call('sleep', 60_000).then(() => undefined, (e: SymphonyError) => e);
    await expect(deaf).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    const error = await bystander;
    expect(error?.code).toBe('E_EXTENSION_CRASHED');
    expect(error?.details).toMatchObject({ method: 'sleep', stuck: { method: 'sleep', graceMs: 500 } });
    expect(error?.message).toMatch(/terminated by the host/);
    expect(s.crashCount).toBe(0);
    expect(await s.call('add', { a: 1, b: 1 })).toBe(2);
  });
});
