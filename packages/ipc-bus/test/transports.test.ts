import { fork, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as Comlink from 'comlink';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSymphonyError } from '@symphony/types';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { FrameDecoder, asComlinkEndpoint, connectSocket, encodeFrame, listenSocket, pipeEndpoint, processEndpoint, workerEndpoint } from '../src/index.js';

describe('socket frames', () => {
  it("any split of encoded frames decodes to the same values (a __proto__ key arrives as __proto_)", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.integer({ min: 1, max: 64 }), (values, chunk) => {
        const bytes = Buffer.concat(values.map((v) => encodeFrame([[5, 'e', v]])));
        const decoder = new FrameDecoder();
        const out: unknown[] = [];
        for (let i = 0; i < bytes.length; i += chunk) decoder.push(bytes.subarray(i, i + chunk), (v) => out.push(v));
        expect(out).toEqual(values.map((v) => [[5, 'e', guarded(JSON.parse(JSON.stringify(v)))]]));
      }),
      { numRuns: 1_000 },
    );
  });

  it('decodes a large frame that arrives in many chunks', () => {
    const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => i % 251);
    const bytes = encodeFrame([[2, 1, big]]);
    const decoder = new FrameDecoder();
    const out: any[] = [];
    for (let i = 0; i < bytes.length; i += 65_536) decoder.push(bytes.subarray(i, i + 65_536), (v) => out.push(v));
    expect(out).toHaveLength(1);
    expect(Buffer.from(out[0][0][2]).equals(Buffer.from(big))).toBe(true);
  });

  it('arbitrary bytes either decode or fail with E_PROTOCOL, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const decoder = new FrameDecoder(1_024);
        try {
          decoder.push(Buffer.from(bytes), () => {});
        } catch (error) {
          expect(isSymphonyError(error) && error.code === 'E_PROTOCOL').toBe(true);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('comlink over a bus endpoint', () => {
  it('wraps a MessagePort endpoint', async () => {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose({ neg: (a: number) => -a }, asComlinkEndpoint(workerEndpoint(port1)));
    const api = Comlink.wrap<{ neg(a: number): number }>(asComlinkEndpoint(workerEndpoint(port2)));
    expect(await api.neg(5)).toBe(-5);
    port1.close();
  });

  it('wraps a unix socket endpoint (msgpack frames)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'symphony-comlink-'));
    const path = join(dir, 's.sock');
    const server = await listenSocket(path, (endpoint) => Comlink.expose({ mul: (a: number, b: number) => a * b }, asComlinkEndpoint(endpoint)));
    const client = await connectSocket(path);
    try {
      const api = Comlink.wrap<{ mul(a: number, b: number): number }>(asComlinkEndpoint(client));
      expect(await api.mul(6, 7)).toBe(42);
    } finally {
      client.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wraps a child process endpoint (comlink ships no adapter for it)', async () => {
    const child = fork(fileURLToPath(new URL('./fixtures/comlink-child.mjs', import.meta.url)), [], { serialization: 'advanced' });
    try {
      const api = Comlink.wrap<{ add(a: number, b: number): number }>(asComlinkEndpoint(processEndpoint(child)));
      expect(await api.add(2, 40)).toBe(42);
    } finally {
      child.kill();
    }
  });
});

/** msgpackr renames a `__proto__` key to `__proto_` (its prototype-pollution guard); so do we. */
function guarded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(guarded);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    Object.defineProperty(out, key === '__proto__' ? '__proto_' : key, { value: guarded(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

describe('process-mode pipe frames (fd 3)', () => {
  const child = (script: string) => spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });

  it('structured clone survives the round trip (Map, typed array, Date, cycle)', async () => {
    const echo = child(`const { inheritedPipeEndpoint } = require(${JSON.stringify(fileURLToPath(new URL('../dist/index.cjs', import.meta.url)))});
const e = inheritedPipeEndpoint(3); e.addEventListener('message', (m) => { e.postMessage(m.data); });`);
    const host = pipeEndpoint(echo.stdio[3] as Socket, { child: echo });
    const value: Record<string, unknown> = { map: new Map([['a', 1]]), bytes: new Uint8Array([1, 2, 3]), at: new Date(0) };
    value.self = value;
    const back = await new Promise<Record<string, unknown>>((resolve) => {
      host.addEventListener('message', (m) => resolve(m.data as Record<string, unknown>));
      host.postMessage(value);
    });
    expect(back.map).toEqual(new Map([['a', 1]]));
    expect(back.bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(back.at).toEqual(new Date(0));
    expect(back.self).toBe(back);
    echo.kill('SIGKILL');
  });

  it('a frame announced over the cap closes the channel at once, never buffered (a forged 1 GiB reply)', async () => {
    const forger = child(`const fs = require('node:fs'); const h = Buffer.alloc(4); h.writeUInt32BE(0x40000000); fs.writeSync(3, h);
for (let i = 0; i < 8; i++) fs.writeSync(3, Buffer.alloc(256 * 1024)); setInterval(() => {}, 1000);`);
    const host = pipeEndpoint(forger.stdio[3] as Socket, { child: forger, maxFrameBytes: 1024 * 1024 });
    const info = await new Promise<{ reason: string; error?: { code?: string; details?: Record<string, unknown> } }>((resolve) => host.onClose(resolve as never));
    expect(info).toMatchObject({ reason: 'error', error: { code: 'E_PAYLOAD_TOO_LARGE', details: { bytes: 0x40000000, maxFrameBytes: 1024 * 1024 } } });
    forger.kill('SIGKILL');
  });
});
