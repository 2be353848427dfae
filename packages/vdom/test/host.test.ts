import { afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '@symphony/types';
import { applyPatches, createUiHost, type HostMessage, type UiRenderResult, type VirtualNode } from '../src/index.js';
import { startWorkerExtension } from './worker-extension.js';

const stops: Array<() => Promise<number>> = [];
afterEach(async () => { await Promise.all(stops.splice(0).map((stop) => stop())); });

function handlerOf(tree: VirtualNode, index: number): string {
  return ((tree.children[index] as VirtualNode).props.onClick as { $handler: string }).$handler;
}

async function setup(file = 'counter-v1.mjs') {
  let ext = startWorkerExtension(file, (_event, payload) => host.push(payload as UiRenderResult));
  stops.push(() => ext.terminate());
  const host = createUiHost({ call: (_id, method, input) => ext.call(method, input) });
  const messages: HostMessage[] = [];
  host.subscribe((m) => messages.push(m));
  const swap = (next: string) => {
    const old = ext;
    ext = startWorkerExtension(next, (_event, payload) => host.push(payload as UiRenderResult));
    stops.push(() => ext.terminate());
    return old.terminate();
  };
  return { host, messages, swap };
}

describe('UiHost with an extension in a real worker thread', () => {
  it('opens a view, routes a click to the worker, and forwards the patch that a front end applies', async () => {
    const { host, messages } = await setup();
    const snap = await host.open('main', { extensionId: 'test.counter', name: 'counter' });
    expect((snap.tree.children[0] as VirtualNode).children).toEqual(['count 0']);
    let client = snap.tree; // what a front end holds
    await host.event('main', handlerOf(snap.tree, 1), { type: 'click' });
    const patch = messages.find((m) => m.t === 'patch');
    expect(patch).toMatchObject({ t: 'patch', view: 'main', from: 1, to: 2 });
    client = applyPatches(client, (patch as Extract<HostMessage, { t: 'patch' }>).patches);
    expect(client).toEqual(host.snapshot('main').tree);
    expect((client.children[0] as VirtualNode).children).toEqual(['count 1']);
    expect(host.snapshot('main').state).toMatchObject({ count: 1 });
  });

  it('rejects a handler id from an older tree with E_VDOM_HANDLER_STALE and keeps serving', async () => {
    const { host } = await setup();
    const snap = await host.open('main', { extensionId: 'test.counter', name: 'counter' });
    const old = handlerOf(snap.tree, 1);
    await host.event('main', old, { type: 'click' }); // re-render makes a new closure, so a new id
    const err = await host.event('main', old, { type: 'click' }).catch((e: unknown) => e);
    expect(hasErrorCode(err, 'E_VDOM_HANDLER_STALE')).toBe(true);
    await host.event('main', handlerOf(host.snapshot('main').tree, 1), { type: 'click' });
    expect(host.snapshot('main').state).toMatchObject({ count: 2 });
  });

  it('accepts updates the extension pushes on its own (after a timer)', async () => {
    const { host, messages } = await setup();
    const snap = await host.open('main', { extensionId: 'test.counter', name: 'counter' });
    await host.event('main', handlerOf(snap.tree, 2), { type: 'click' });
    for (let i = 0; i < 200 && !messages.some((m) => m.t === 'patch'); i++) await new Promise((r) => setTimeout(r, 5));
    const items = host.snapshot('main').tree.children[3] as VirtualNode;
    expect(items.children.map((c) => (c as VirtualNode).key)).toEqual(['b', 'c']);
  });

  it('hot reload keeps the last tree and state; the new code arrives as a diff, not a blank screen', async () => {
    const { host, messages, swap } = await setup();
    const snap = await host.open('main', { extensionId: 'test.counter', name: 'counter' });
    await host.event('main', handlerOf(snap.tree, 1), { type: 'click' });
    await swap('counter-v2.mjs');
    // While the new worker starts, the host still shows the last tree.
    expect((host.snapshot('main').tree.children[0] as VirtualNode).children).toEqual(['count 1']);
    const before = messages.length;
    await host.reattach('main');
    const after = messages.slice(before);
    expect(after.map((m) => m.t)).toEqual(['patch']);
    const tree = host.snapshot('main').tree;
    expect((tree.children[0] as VirtualNode).children).toEqual(['count 1']); // state slice survived
    expect((tree.children[2] as VirtualNode).type).toBe('Badge');
    await host.event('main', handlerOf(tree, 1), { type: 'click' });
    expect(host.snapshot('main').state).toMatchObject({ count: 11 });
  });

  it('drops late updates for removed nodes without an error storm, and ignores pushes for closed views', async () => {
    const { host } = await setup();
    await host.open('main', { extensionId: 'test.counter', name: 'counter' });
    const rev = host.snapshot('main').rev;
    host.push({ view: 'main', update: { from: rev, to: rev + 1, patches: [
      { op: 'set', path: [9, 9], name: 'tone', value: 'muted' },
      { op: 'text', path: [0, 0], text: 'still fine' },
      { op: 'remove', path: [3], index: 40 },
    ] } });
    host.push({ view: 'closed-long-ago', update: { from: 0, to: 1, patches: [] } });
    await host.reattach('main').catch(() => undefined); // waits for the queued push to apply
    expect(host.droppedPatches).toBe(2);
  });
});
