import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor, type SupervisorOptions } from '../src/index.js';
import { memoryLogger } from './helpers.js';

// Outsider attack on issue 14: an extension whose bus server comes from an SDK older than the
// let-go rule (started separately, or with its own serve()) never reports that a cancelled handler
// settled. Every cut-off call used to terminate its instance 500 ms later, with the other calls in
// flight on it, and the log blamed a handler that had in fact let go.
const entry = fileURLToPath(new URL('./fixtures/old-sdk-peer.mjs', import.meta.url));
const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('a peer built with an older SDK (no let-go report)', () => {
  it('keeps its instance when a polite handler is cancelled, and says once in the log why a deaf one is not caught', async () => {
    const logger = memoryLogger();
    const s = new Supervisor({ spec: { id: 'old.sdk', mode: 'worker', entry, env: { ...process.env } }, logger } as SupervisorOptions);
    running.push(s);
    const stuck: unknown[] = [];
    s.on('stuck', (e) => stuck.push(e));
    await s.call('add', { a: 1, b: 1 });
    const bystander = s.call('slow', { ms: 1_500 });
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController();
      const call = s.call('slow', { ms: 60_000 }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await expect(call).rejects.toMatchObject({ code: 'E_ABORTED' });
      expect(await s.call('add', { a: i, b: 2 })).toBe(i + 2);
    }
    expect(await bystander).toBe('slow');
    expect(stuck).toEqual([]);
    expect(s.crashCount).toBe(0);
    const warnings = logger.lines.filter((l) => l.level === 'warn' && /older @symphony\/sdk/.test(l.msg ?? ''));
    expect(warnings).toHaveLength(1);
  });
});
