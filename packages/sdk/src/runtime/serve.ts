import { hostEndpoint, serve, type BusEndpoint, type BusServer } from '@symphony/ipc-bus';
import { createContext } from './context.js';
import type { ExtensionDefinition } from './define.js';

export interface ServeExtensionOptions {
  /** Where the host is; by default the parent port, the IPC channel or `SYMPHONY_IPC_SOCKET`. */
  endpoint?: BusEndpoint;
  /** Largest result this side will send (`E_PAYLOAD_TOO_LARGE`). */
  maxPayloadBytes?: number;
  /** Runs when the host asks it to stop and no call is left; by default the thread or process exits. */
  onShutdown?: () => void;
  /**
   * Runs when the connection to the host is gone (the host died or dropped it); by default the
   * thread or process exits, so a dead host never leaves orphaned extensions behind.
   */
  onDisconnect?: () => void;
}

/** Serves a definition's methods over the bus: the extension side of every call. */
export async function serveExtension(definition: ExtensionDefinition, options: ServeExtensionOptions = {}): Promise<BusServer> {
  const endpoint = options.endpoint ?? (await hostEndpoint());
  const extension = { id: definition.manifest.id, version: definition.manifest.version };
  const maxPayloadBytes = options.maxPayloadBytes ?? numberFromEnv('SYMPHONY_MAX_PAYLOAD_BYTES');
  endpoint.onClose(options.onDisconnect ?? (() => process.exit(0)));
  return serve(endpoint, {
    methods: Object.keys(definition.methods),
    handle: (method, input, call) => definition.dispatch(method, input, createContext(call, extension)),
    ...(maxPayloadBytes ? { maxPayloadBytes } : {}),
    onShutdown: options.onShutdown ?? (() => process.exit(0)),
  });
}

function numberFromEnv(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
