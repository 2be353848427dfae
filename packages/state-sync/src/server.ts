import { SymphonyError, silentLogger, toSymphonyError, type Logger } from '@symphony/types';
import type { JsonPatchOp } from './json-patch.js';
import type { SyncChannel, SyncClientMessage, SyncServerMessage } from './protocol.js';
import type { StateStore } from './store.js';

export interface SyncServer {
  /** Serves one client over `channel`; returns a function that disconnects it. */
  connect(channel: SyncChannel<SyncClientMessage, SyncServerMessage>): () => void;
  readonly clients: number;
  close(): void;
}

/** The authoritative side: answers hellos, broadcasts every change, decides on proposals. */
export interface SyncServerOptions {
  logger?: Logger;
  /**
   * Decides whether a client may make a change: throw (a SymphonyError, e.g.
   * `E_PERMISSION_DENIED`) to refuse it. Default: every proposal is allowed.
   */
  authorize?: (ops: readonly JsonPatchOp[]) => void;
}

export function createSyncServer(store: StateStore, options: SyncServerOptions = {}): SyncServer {
  const logger = options.logger ?? silentLogger;
  const live = new Set<SyncChannel<SyncClientMessage, SyncServerMessage>>();
  const cleanups = new Map<SyncChannel<SyncClientMessage, SyncServerMessage>, () => void>();

  // Set while a client's proposal is being applied, so its copy of the patch carries the id.
  let proposal: { channel: SyncChannel<SyncClientMessage, SyncServerMessage>; id: string } | undefined;
  const stopBroadcast = store.onChange((change) => {
    const message: SyncServerMessage = { t: 'sync.patch', from: change.revision - 1, rev: change.revision, ops: change.ops };
    for (const channel of live) channel.send(proposal?.channel === channel ? { ...message, id: proposal.id } : message);
  });
  const snapshot = (): SyncServerMessage => ({ t: 'sync.snapshot', rev: store.revision, state: store.state });

  return {
    connect(channel) {
      const off = channel.onMessage((message) => {
        switch (message?.t) {
          case 'sync.hello': {
            const missed = message.since === undefined ? undefined : store.changesSince(message.since);
            if (missed) {
              for (const c of missed) channel.send({ t: 'sync.patch', from: c.revision - 1, rev: c.revision, ops: c.ops });
            } else {
              channel.send(snapshot());
            }
            live.add(channel);
            break;
          }
          case 'sync.resync':
            channel.send(snapshot());
            break;
          case 'sync.propose':
            try {
              proposal = { channel, id: message.id };
              if (!live.has(channel)) throw new SymphonyError('E_STATE_PROTOCOL', 'Send sync.hello before proposing', { details: { id: message.id } });
              options.authorize?.(message.ops);
              store.apply(message.ops, { baseRevision: message.base });
            } catch (err) {
              const e = toSymphonyError(err);
              logger.debug({ id: message.id, code: e.code }, 'state-sync: proposal rejected');
              channel.send({ t: 'sync.reject', id: message.id, code: e.code, message: e.message, rev: store.revision });
              channel.send(snapshot());
            } finally {
              proposal = undefined;
            }
            break;
          default:
            logger.warn({ message }, 'state-sync: ignoring an unknown message');
        }
      });
      const disconnect = () => { off(); live.delete(channel); cleanups.delete(channel); };
      cleanups.set(channel, disconnect);
      return disconnect;
    },
    get clients() { return live.size; },
    close() {
      stopBroadcast();
      for (const disconnect of [...cleanups.values()]) disconnect();
    },
  };
}
