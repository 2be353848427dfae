import { createContext, useContext, useEffect, useSyncExternalStore } from 'react';
import type { Connection, ViewState } from './connection';

export const ConnectionContext = createContext<Connection | null>(null);

export function useConnection(): Connection {
  const c = useContext(ConnectionContext);
  if (!c) throw new Error('useConnection outside <ConnectionContext.Provider>');
  return c;
}

/** Re-renders on any change of the connection; `select` picks what the component shows. */
export function useConnectionValue<T>(select: (c: Connection) => T): T {
  const c = useConnection();
  return useSyncExternalStore(c.subscribe, () => select(c));
}

/** The app state document, or undefined until the state client is hydrated. */
export function useAppState(): AppState | undefined {
  return useConnectionValue((c) => c.state() as AppState | undefined);
}

export function useView(extension: string, name: string): { id: string; state: ViewState | undefined } {
  const c = useConnection();
  const id = `${extension}:${name}`;
  useEffect(() => { c.openView(extension, name); }, [c, extension, name]);
  const state = useConnectionValue((conn) => conn.view(id));
  return { id, state };
}

/** The shape of the host's state document (see host/server.mjs). */
export interface AppState {
  extensions: Array<{
    id: string; name: string; version: string; kind: string; mode: string; state: string; enabled: boolean;
    description: string; permissions: Record<string, unknown>; methods: string[]; crashes: number;
  }>;
  motifs: Array<{ extension: string; title: string; panels: Array<{ name: string; title: string; description?: string }> }>;
  pages: { runs: { extension: string; name: string }; artifacts: { extension: string; name: string } };
  audit: Array<{ at: number; extension: string; method: string; ok: boolean; code?: string; ms: number }>;
}
