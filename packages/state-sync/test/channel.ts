import type { SyncChannel, SyncClientMessage, SyncServerMessage } from '../src/index.js';

/**
 * An in-memory duplex channel that delivers asynchronously (like a socket) through a JSON round
 * trip, optionally dropping server->client patches to simulate a client that misses revisions.
 */
export function channelPair(options: { dropPatch?: () => boolean } = {}) {
  const toServer = new Set<(m: SyncClientMessage) => void>();
  const toClient = new Set<(m: SyncServerMessage) => void>();
  let inFlight = 0;
  const deliver = <T>(listeners: Set<(m: T) => void>, message: T) => {
    const copy = JSON.parse(JSON.stringify(message)) as T;
    inFlight++;
    queueMicrotask(() => { inFlight--; for (const l of listeners) l(copy); });
  };
  const server: SyncChannel<SyncClientMessage, SyncServerMessage> = {
    send: (m) => { if (m.t === 'sync.patch' && m.id === undefined && options.dropPatch?.()) return; deliver(toClient, m); },
    onMessage: (l) => { toServer.add(l); return () => toServer.delete(l); },
  };
  const client: SyncChannel<SyncServerMessage, SyncClientMessage> = {
    send: (m) => deliver(toServer, m),
    onMessage: (l) => { toClient.add(l); return () => toClient.delete(l); },
  };
  return { server, client, idle: async () => { while (inFlight > 0) await new Promise((r) => setTimeout(r, 0)); } };
}
