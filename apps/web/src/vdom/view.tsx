import { useCallback } from 'react';
import { Alert } from '../components/ui/alert';
import { useConnection, useView } from '../lib/hooks';
import { VdomTree } from './render';

/** A view of an extension's UI: opened over the socket, patched live, events sent back. */
export function VdomView({ extension, name }: { extension: string; name: string }) {
  const connection = useConnection();
  const { id, state } = useView(extension, name);
  const fire = useCallback((handler: string, event: Parameters<typeof connection.fire>[2]) => connection.fire(id, handler, event), [connection, id]);
  if (state?.error && !state.tree) return <Alert tone="destructive" title={state.error.code}>{state.error.message}</Alert>;
  if (!state?.tree) return <p className="text-sm text-muted-foreground" data-testid="view-loading">Loading {extension}…</p>;
  return <div data-testid={`view-${id}`} data-rev={state.rev}><VdomTree tree={state.tree} fire={fire} /></div>;
}
