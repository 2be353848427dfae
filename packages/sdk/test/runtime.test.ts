import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { Supervisor, createLauncher, createWarmLauncher } from '@symphony/ipc-bus';
import { defineInstrument, defineMotif, defineOperator, isExtensionDefinition, method, type MethodInput, type MethodOutput } from '../src/index.js';

const ENTRY = fileURLToPath(new URL('../dist/runtime/entry.js', import.meta.url));
const CSV = fileURLToPath(new URL('./fixtures/csv.mjs', import.meta.url));

const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function start(mode: 'worker' | 'process' | 'socket'): Supervisor {
  const s = new Supervisor({ spec: { id: 'acme.csv', mode, entry: ENTRY, data: { module: CSV }, env: { ...process.env } }, pingIntervalMs: 0 });
  running.push(s);
  return s;
}

describe('define*', () => {
  const ext = defineOperator({
    manifest: { id: 'acme.typed', version: '0.1.0' },
    methods: {
      add: method({ input: z.object({ a: z.number(), b: z.number() }), output: z.number() }, ({ a, b }) => a + b),
      hello: (input: { name: string }) => `hi ${input.name}`,
    },
  });

  it('validates the manifest, sets the kind and declares every method with its JSON Schema', () => {
    expect(ext.manifest.kind).toBe('operator');
    expect(Object.keys(ext.manifest.contributes.methods)).toEqual(['add', 'hello']);
    expect(ext.manifest.contributes.methods.add?.input).toMatchObject({ type: 'object', required: ['a', 'b'] });
    expect(defineInstrument({ manifest: { id: 'acme.i', version: '1.0.0' }, methods: {} }).manifest.kind).toBe('instrument');
    expect(defineMotif({ manifest: { id: 'acme.m', version: '1.0.0' }, methods: {} }).manifest.kind).toBe('motif');
    expect(isExtensionDefinition(ext)).toBe(true);
    expect(isExtensionDefinition({ manifest: {}, methods: {} })).toBe(false);
  });

  it('refuses a bad manifest with E_MANIFEST_INVALID naming the path', () => {
    expect(() => defineOperator({ manifest: { id: 'Bad Id', version: 'one' } as any, methods: {} })).toThrow(
      expect.objectContaining({ code: 'E_MANIFEST_INVALID' }),
    );
  });

  it('infers input and output types from the zod schemas', () => {
    expectTypeOf<MethodInput<typeof ext.methods.add>>().toEqualTypeOf<{ a: number; b: number }>();
    expectTypeOf<MethodOutput<typeof ext.methods.add>>().toEqualTypeOf<number>();
    expectTypeOf<MethodInput<typeof ext.methods.hello>>().toEqualTypeOf<{ name: string }>();
    // @ts-expect-error the handler's input is typed from the schema: `a` is a number
    method({ input: z.object({ a: z.number() }) }, ({ a }) => a.toUpperCase());
  });
});

describe.each(['worker', 'process', 'socket'] as const)('the runtime entry in %s mode', (mode) => {
  it('serves methods with progress, events and logs', async () => {
    const s = start(mode);
    const events: unknown[] = [];
    s.on('event', (name, payload) => events.push([name, payload]));
    const progress: number[] = [];
    const rows = await s.call('parse', { text: 'a,b\nc,d' }, { onProgress: (f) => progress.push(f) });
    expect(rows).toEqual([['a', 'b'], ['c', 'd']]);
    expect(progress).toEqual([0.5, 1]);
    expect(await s.call('whoami', {})).toEqual({ id: 'acme.csv', version: '1.2.0', method: 'whoami' });
    expect(events).toContainEqual(['parsed', { rows: 2 }]);
  });

  it('rejects a bad input with E_INPUT_INVALID and its path, before the handler runs', async () => {
    const s = start(mode);
    const progress: number[] = [];
    const error: any = await s.call('parse', { text: 42, separator: ';;' }, { onProgress: (f) => progress.push(f) }).catch((e: any) => e);
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details.issues.map((i: { path: string }) => i.path)).toEqual(['text', 'separator']);
    expect(error.details.extensionId).toBe('acme.csv');
    expect(progress).toEqual([]);
  });

  it('rejects a handler output that breaks its schema with E_OUTPUT_INVALID', async () => {
    const s = start(mode);
    expect(((await s.call('broken', {}).catch((e: any) => e)) as any).code).toBe('E_OUTPUT_INVALID');
  });

  it("aborts the handler's ctx.signal when the caller cancels", async () => {
    const s = start(mode);
    await s.start();
    const events: unknown[] = [];
    s.on('event', (name, payload) => events.push([name, payload]));
    const controller = new AbortController();
    const call = s.call('wait', { ms: 10_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    expect(((await call.catch((e: any) => e)) as any).code).toBe('E_ABORTED');
    await expect.poll(() => events).toContainEqual(['aborted', { reason: 'E_ABORTED' }]);
  });
});

describe.each(['process', 'socket'] as const)('a host that dies (%s mode)', (mode) => {
  it('leaves no orphaned extension process behind', async () => {
    const { spawn } = await import('node:child_process');
    const host = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/host-that-dies.mjs', import.meta.url)), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    host.stdout.on('data', (chunk) => (out += chunk));
    await new Promise((resolve) => host.once('exit', resolve));
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, { timeout: 10_000, interval: 50 }).toBe(false);
  });
});

describe('pre-warmed workers (createWarmLauncher + the deferred runtime entry)', () => {
  it('hands a booted spare to the next worker launch, which then loads the extension', async () => {
    const base = createLauncher();
    const warm = createWarmLauncher(base, { size: 1, spare: { mode: 'worker', entry: ENTRY, data: { deferred: true } }, load: (spec) => ({ load: spec.data }) });
    try {
      const a = new Supervisor({ spec: { id: 'acme.csv', mode: 'worker', entry: ENTRY, data: { module: CSV } }, launcher: warm, pingIntervalMs: 0 });
      const b = new Supervisor({ spec: { id: 'acme.csv', mode: 'worker', entry: ENTRY, data: { module: CSV } }, launcher: warm, pingIntervalMs: 0 });
      running.push(a, b);
      expect(await a.call('parse', { text: 'x,y' })).toEqual([['x', 'y']]);
      expect(await b.call('whoami', {})).toEqual({ id: 'acme.csv', version: '1.2.0', method: 'whoami' });
      expect(warm.served).toBe(2);
      // A launch a spare cannot serve (another mode) goes to the base launcher.
      const c = new Supervisor({ spec: { id: 'acme.csv', mode: 'process', entry: ENTRY, data: { module: CSV }, env: { ...process.env } }, launcher: warm, pingIntervalMs: 0 });
      running.push(c);
      expect(await c.call('whoami', {})).toMatchObject({ id: 'acme.csv' });
      expect(warm.served).toBe(2);
    } finally {
      await Promise.all(running.splice(0).map((s) => s.stop()));
      await warm.close();
    }
  });
});
