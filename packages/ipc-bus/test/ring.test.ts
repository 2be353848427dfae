import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring, RingChannel } from '../src/index.js';

describe('Ring (SharedArrayBuffer SPSC)', () => {
  it('delivers any sequence of messages in order, whole, across wrap-arounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 200 }), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 60 }), (capacity, messages) => {
        const ring = new Ring(capacity);
        const received: Uint8Array[] = [];
        const pending = [...messages].filter((m) => m.byteLength + 4 <= capacity - 1);
        const expected = [...pending];
        // Interleave writes and reads so the ring fills, drains and wraps.
        while (pending.length > 0) {
          if (!ring.tryWrite(pending[0]!)) received.push(ring.tryRead()!);
          else pending.shift();
        }
        for (let m = ring.tryRead(); m; m = ring.tryRead()) received.push(m);
        expect(received.map((m) => [...m])).toEqual(expected.map((m) => [...m]));
      }),
      { numRuns: 1_000 },
    );
  });

  it('refuses a message that can never fit with E_PAYLOAD_TOO_LARGE', () => {
    const ring = new Ring(32);
    expect(() => ring.tryWrite(new Uint8Array(64))).toThrow(expect.objectContaining({ code: 'E_PAYLOAD_TOO_LARGE' }));
  });

  it('round-trips values with a worker thread through two rings', async () => {
    const inbox = new RingChannel(4_096);
    const outbox = new RingChannel<{ echo: unknown }>(4_096);
    const worker = new Worker(fileURLToPath(new URL('./fixtures/ring-echo.mjs', import.meta.url)), {
      workerData: { inbox: inbox.buffer, outbox: outbox.buffer },
    });
    try {
      for (let i = 0; i < 500; i++) {
        inbox.send({ i, text: 'token'.repeat(i % 7) });
        expect(outbox.receive(5_000)).toEqual({ echo: { i, text: 'token'.repeat(i % 7) } });
      }
      inbox.send('x');
      expect(await outbox.receiveAsync(5_000)).toEqual({ echo: 'x' });
      inbox.send('stop');
    } finally {
      await worker.terminate();
    }
  });

  it('blocks a writer on a full ring until the reader makes room, losing nothing', async () => {
    const inbox = new RingChannel(512);
    const outbox = new RingChannel<{ echo: unknown }>(1 << 16);
    const worker = new Worker(fileURLToPath(new URL('./fixtures/ring-echo.mjs', import.meta.url)), {
      workerData: { inbox: inbox.buffer, outbox: outbox.buffer },
    });
    try {
      // 200 × ~100 bytes through a 512-byte ring: the writer must wait for the worker many times.
      for (let i = 0; i < 200; i++) expect(inbox.send({ i, pad: 'p'.repeat(90) }, 5_000)).toBe(true);
      for (let i = 0; i < 200; i++) expect(outbox.receive(5_000)).toEqual({ echo: { i, pad: 'p'.repeat(90) } });
      inbox.send('stop');
    } finally {
      await worker.terminate();
    }
  });
});
