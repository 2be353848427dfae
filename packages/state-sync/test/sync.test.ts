import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { createSyncClient, createSyncServer, openStateStore, type JsonPatchOp } from '../src/index.js';
import { channelPair } from './channel.js';

async function connected(store: Awaited<ReturnType<typeof openStateStore>>, server: ReturnType<typeof createSyncServer>, opts: Parameters<typeof channelPair>[0] = {}) {
  const pair = channelPair(opts);
  server.connect(pair.server);
  const client = createSyncClient(pair.client);
  return { client, idle: pair.idle };
}

describe('state store', () => {
  it('counts revisions, notifies subscribers by path, and refuses a stale base revision', async () => {
    const store = await openStateStore({ initial: { runs: {}, theme: 'light' } });
    const seen: unknown[] = [];
    store.subscribe('/runs', (value) => seen.push(value));
    store.set('/theme', 'dark');
    store.set('/runs/r1', { status: 'running' });
    store.apply([{ op: 'replace', path: '/runs/r1/status', value: 'done' }]);
    expect(store.revision).toBe(3);
    expect(seen).toEqual([{ r1: { status: 'running' } }, { r1: { status: 'done' } }]);
    let e: unknown;
    try { store.apply([{ op: 'remove', path: '/theme' }], { baseRevision: 1 }); } catch (x) { e = x; }
    expect(hasErrorCode(e, 'E_STATE_CONFLICT')).toBe(true);
  });

  it('keeps memory bounded by compacting history; an old client is sent a snapshot', async () => {
    const store = await openStateStore({ initial: { n: 0 }, historyLimit: 100 });
    for (let i = 1; i <= 5000; i++) store.set('/n', i);
    expect(store.historySize).toBeLessThanOrEqual(125);
    expect(store.changesSince(10)).toBeUndefined();
    expect(store.changesSince(4990)!.map((c) => c.revision)).toEqual([4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999, 5000]);
  });
});

describe('sync protocol', () => {
  it('a client is not hydrated until the snapshot arrives, then follows every change', async () => {
    const store = await openStateStore({ initial: { items: [] } });
    const server = createSyncServer(store);
    const { client, idle } = await connected(store, server);
    expect(client.hydrated).toBe(false);
    expect(client.state).toBeNull();
    await client.whenHydrated();
    store.set('/items/-', 'a');
    store.set('/items/-', 'b');
    await idle();
    expect(client.state).toEqual({ items: ['a', 'b'] });
    expect(client.revision).toBe(2);
  });

  it('an optimistic update shows at once and is confirmed; a conflicting one is rolled back and the server state re-sent', async () => {
    const store = await openStateStore({ initial: { title: 'x', count: 0 } });
    const server = createSyncServer(store);
    const a = await connected(store, server);
    const b = await connected(store, server);
    await Promise.all([a.client.whenHydrated(), b.client.whenHydrated()]);
    const pa = a.client.propose([{ op: 'replace', path: '/title', value: 'from a' }]);
    const pb = b.client.propose([{ op: 'replace', path: '/title', value: 'from b' }]);
    expect(b.client.state).toMatchObject({ title: 'from b' }); // optimistic
    expect(await pa).toBe(1);
    const err = await pb.catch((e: unknown) => e);
    expect(hasErrorCode(err, 'E_STATE_CONFLICT')).toBe(true);
    await Promise.all([a.idle(), b.idle()]);
    expect(b.client.state).toEqual({ title: 'from a', count: 0 });
    expect(b.client.pending).toBe(0);
    expect(store.state).toEqual({ title: 'from a', count: 0 });
  });

  it('converges: random server changes, proposals and dropped patches end with every client equal to the server (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 9 })), { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      async (steps, seed) => {
        let s = seed;
        const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const store = await openStateStore({ initial: { a: 0, b: 0, c: 0 }, historyLimit: 8 });
        const server = createSyncServer(store);
        let lossy = true;
        const clients = [await connected(store, server, { dropPatch: () => lossy && rnd() < 0.15 }), await connected(store, server)];
        await Promise.all(clients.map((c) => c.idle()));
        for (const [who, key, value] of steps) {
          const op: JsonPatchOp = { op: 'replace', path: `/${key}`, value };
          if (who === 0 || who === 1) store.apply([op]);
          else void clients[who - 2]!.client.propose([op]).catch(() => undefined);
          if (rnd() < 0.5) await Promise.all(clients.map((c) => c.idle()));
        }
        // A client that missed the last patches only finds out with the next one: send one.
        lossy = false;
        store.apply([{ op: 'replace', path: '/a', value: -1 }]);
        for (let i = 0; i < 3; i++) await Promise.all(clients.map((c) => c.idle()));
        for (const c of clients) {
          expect(c.client.state).toEqual(store.state);
          expect(c.client.revision).toBe(store.revision);
          expect(c.client.pending).toBe(0);
        }
      }), { numRuns: 200 });
  });

  it('a proposal acknowledged while a snapshot is on its way is applied once, not twice', async () => {
    const store = await openStateStore({ initial: { items: [] } });
    const server = createSyncServer(store);
    const { client, idle } = await connected(store, server);
    await client.whenHydrated();
    const done = client.propose([{ op: 'add', path: '/items/-', value: 'x' }]);
    client.resync(); // the server answers the proposal first, then the snapshot
    expect(await done).toBe(1);
    await idle();
    expect(client.state).toEqual({ items: ['x'] });
    expect(client.pending).toBe(0);
  });

  it('a client that missed a revision resyncs from a snapshot', async () => {
    const store = await openStateStore({ initial: { n: 0 } });
    const server = createSyncServer(store);
    let drop = false;
    const { client, idle } = await connected(store, server, { dropPatch: () => drop });
    await client.whenHydrated();
    drop = true;
    store.set('/n', 1);
    drop = false;
    store.set('/n', 2);
    await idle();
    await idle();
    expect(client.resyncs).toBe(1);
    expect(client.state).toEqual({ n: 2 });
    expect(client.revision).toBe(2);
  });
});
