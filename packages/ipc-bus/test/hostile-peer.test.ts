import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor, type SupervisorOptions } from '../src/index.js';

// Outsider attack on issue 14: an extension is not trusted, so no message it sends may throw in
// the host. A log line with an unknown level, a ready or ack of the wrong shape, a non-array
// message or a Fail whose error is not an object used to throw out of the bus's message handler:
// an uncaught exception that took the whole host down (`symphony run` died with a stack trace).
const entry = fileURLToPath(new URL('./fixtures/hostile-peer.mjs', import.meta.url));
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
beforeAll(() => void process.on('uncaughtException', onUncaught));
afterAll(() => void process.off('uncaughtException', onUncaught));
const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe.each(['worker', 'process'] as const)('a hostile peer in %s mode', (mode) => {
  const start = () => {
    const s = new Supervisor({ spec: { id: `hostile.${mode}`, mode, entry, env: { ...process.env } }, restart: { maxCrashes: 100, backoffMs: 1 } } as SupervisorOptions);
    running.push(s);
    return s;
  };

  it('fails a call with a malformed error as a SymphonyError, never throwing in the host', async () => {
    const s = start();
    for (const error of [null, 42, 'text', [], { code: 5, message: {} }, { code: 'E_X', details: 'nope', cause: 'x' }]) {
      const got = await s.call('fail', { error }).then(() => undefined, (e: { code?: unknown }) => e);
      expect(typeof got?.code, JSON.stringify(error)).toBe('string');
      expect(String(got?.code)).toMatch(/^E_[A-Z0-9_]+$/);
    }
    expect(uncaught).toEqual([]);
  });

  it('survives malformed messages: the host stays up and the next call succeeds', async () => {
    const s = start();
    const messages = [null, 5, [10, 'nope', 'hello', undefined], [10, 'constructor', 7, 'fields'], [9, null], [9, { methods: 5 }], [1, null], [6, '$id', 'x', {}]];
    for (const message of messages) {
      await s.call('raw', { message }).catch(() => undefined);
      expect(await s.call('add', { a: 1, b: 2 }), JSON.stringify(message)).toBe(3);
    }
    expect(uncaught).toEqual([]);
  });
});
