import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { VirtualNode } from '@symphony/vdom';
import { startWebHost } from '../host/server.mjs';

type Host = { url: string; close(): Promise<void> };
let host: Host;

beforeAll(async () => { host = await startWebHost({ demo: 'instant' }); });
afterAll(async () => { await host?.close(); });

/** A WebSocket client that records every message and waits for one matching a predicate. */
async function client() {
  const ws = new WebSocket(`${host.url.replace('http', 'ws')}/ws`);
  const messages: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (raw) => { messages.push(JSON.parse(String(raw))); for (const w of waiters.splice(0)) w(); });
  await new Promise((ok) => ws.on('open', ok));
  const next = async (pred: (m: Record<string, any>) => boolean, from = 0) => {
    for (;;) {
      const found = messages.slice(from).find(pred);
      if (found) return found;
      await new Promise<void>((ok, fail) => { waiters.push(ok); setTimeout(() => fail(new Error(`no matching message; got ${messages.map((m) => m.t).join(', ')}`)), 10_000); });
    }
  };
  return { ws, messages, next, send: (m: unknown) => ws.send(JSON.stringify(m)) };
}

function find(node: VirtualNode | string, pred: (n: VirtualNode) => boolean): VirtualNode | undefined {
  if (typeof node === 'string') return undefined;
  if (pred(node)) return node;
  for (const c of node.children) { const f = find(c, pred); if (f) return f; }
  return undefined;
}

describe('WebSocket protocol (no browser)', () => {
  it('opens a view, routes a submit to the extension worker, and streams the patch to every client on that view', async () => {
    const a = await client();
    const b = await client();
    a.send({ t: 'view.open', extension: 'demo.feedback', name: 'form' });
    b.send({ t: 'view.open', extension: 'demo.feedback', name: 'form' });
    const snap = await a.next((m) => m.t === 'view.snapshot');
    await b.next((m) => m.t === 'view.snapshot');
    const form = find(snap.tree, (n) => n.type === 'Form')!;
    const handler = (form.props.onSubmit as { $handler: string }).$handler;
    a.send({ t: 'view.event', view: snap.view, handler, event: { type: 'submit', values: { name: 'Grace', rating: '4', subscribe: true, message: 'hi' } } });
    const patch = await b.next((m) => m.t === 'view.patch');
    expect(patch.from).toBe(snap.rev);
    expect(JSON.stringify(patch.patches)).toContain('Thanks, Grace!');
    a.ws.close(); b.ws.close();
  });

  it('answers a stale handler with view.error E_VDOM_HANDLER_STALE, and a resync with a snapshot', async () => {
    const a = await client();
    a.send({ t: 'view.open', extension: 'demo.feedback', name: 'form' });
    const snap = await a.next((m) => m.t === 'view.snapshot');
    a.send({ t: 'view.event', view: snap.view, handler: 'demo.feedback:form:999', event: { type: 'click' } });
    const err = await a.next((m) => m.t === 'view.error');
    expect(err.code).toBe('E_VDOM_HANDLER_STALE');
    const at = a.messages.length;
    a.send({ t: 'view.resync', view: snap.view });
    expect((await a.next((m) => m.t === 'view.snapshot', at)).view).toBe(snap.view);
    a.ws.close();
  });

  it('an invalid extension tree is an error naming the node path, not a blank view', async () => {
    const a = await client();
    a.send({ t: 'view.open', extension: 'demo.feedback', name: 'broken' });
    const err = await a.next((m) => m.t === 'view.error');
    expect(err).toMatchObject({ view: 'demo.feedback:broken', code: 'E_VDOM_UNKNOWN_COMPONENT' });
    expect(err.message).toContain('Stack > Card[1] > Marquee[0]');
    a.ws.close();
  });

  it('state sync: hydrates with a snapshot, accepts an allowed proposal, refuses others', async () => {
    const a = await client();
    a.send({ t: 'sync.hello' });
    const snap = await a.next((m) => m.t === 'sync.snapshot');
    expect(snap.state.extensions.map((e: { id: string }) => e.id).sort()).toEqual(['demo.feedback', 'symphony.artifact-browser', 'symphony.run-monitor']);
    // (The test host gives every socket every scope; the server's sockets carry the caller's.)
    a.send({ t: 'sync.propose', id: 'x1', base: snap.rev, ops: [{ op: 'replace', path: '/extensions/0/enabled', value: true }] });
    expect((await a.next((m) => m.t === 'sync.patch' && m.id === 'x1')).ops[0].value).toBe(true);
    a.send({ t: 'sync.propose', id: 'x2', base: snap.rev + 1, ops: [{ op: 'replace', path: '/pages', value: {} }] });
    expect((await a.next((m) => m.t === 'sync.reject')).code).toBe('E_PERMISSION_DENIED');
    // UI preferences are each browser's own, not shared state.
    expect(snap.state.ui).toBeUndefined();
    a.send({ t: 'sync.propose', id: 'x3', base: snap.rev + 1, ops: [{ op: 'replace', path: '/ui/theme', value: 'dark' }] });
    expect((await a.next((m) => m.t === 'sync.reject' && m.id === 'x3')).code).toBe('E_PERMISSION_DENIED');
    a.ws.close();
  });
});
