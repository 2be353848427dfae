import { AsyncLocalStorage } from 'node:async_hooks';
import { hostEndpoint, serve, type BusEndpoint, type BusServer, type ServerCallContext } from '@symphony/ipc-bus';
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
  // Only an extension's own thread or process has its output captured, never a host serving in-process.
  const ownsOutput = options.endpoint === undefined;
  const endpoint = options.endpoint ?? (await hostEndpoint());
  const extension = { id: definition.manifest.id, version: definition.manifest.version };
  const maxPayloadBytes = options.maxPayloadBytes ?? numberFromEnv('SYMPHONY_MAX_PAYLOAD_BYTES');
  endpoint.onClose(options.onDisconnect ?? (() => process.exit(0)));
  return serve(endpoint, {
    methods: Object.keys(definition.methods),
    handle: (method, input, call) => {
      if (!ownsOutput) return definition.dispatch(method, input, createContext(call, extension));
      captureOutput();
      return currentCall.run(call, () => definition.dispatch(method, input, createContext(call, extension)));
    },
    ...(maxPayloadBytes ? { maxPayloadBytes } : {}),
    onShutdown: options.onShutdown ?? (() => process.exit(0)),
  });
}

/** The call a handler's code is running for, so what it prints reaches that call's step log. */
const currentCall = new AsyncLocalStorage<ServerCallContext>();
/** The host's bound for a line of an extension's stdout/stderr (sandbox `maxOutputLineBytes`). */
const MAX_LINE = 8 * 1024;
let capturing = false;

/**
 * stdout/stderr written while a call runs go over the bus as log lines carrying the call id (a
 * pipe has no call id, and lags the reply); writes outside any call still go to the real streams.
 */
function captureOutput(): void {
  if (capturing) return;
  capturing = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = function write(chunk: unknown, ...rest: unknown[]): boolean {
      const call = currentCall.getStore();
      if (!call) return original(chunk, ...rest);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      for (const line of lines) {
        // A line over the host's cap goes down the real pipe, where the host truncates and audits it
        // (limits.maxOutputLineBytes) and the supervisor still hands it to this call's step log.
        if (Buffer.byteLength(line) > MAX_LINE) original(`${line}\n`);
        else call.log(name === 'stderr' ? 'warn' : 'info', line, { stream: name });
      }
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (callback) queueMicrotask(callback);
      return true;
    } as typeof stream.write;
  }
}

function numberFromEnv(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
