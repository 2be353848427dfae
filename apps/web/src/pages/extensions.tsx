import { useState } from 'react';
import { Alert } from '../components/ui/alert';
import { Badge } from '../components/ui/badge';
import { Card } from '../components/ui/card';
import { Switch } from '../components/ui/fields';
import { PermissionList } from './permissions';
import { Table } from '../components/ui/table';
import { useConnection, type AppState } from '../lib/hooks';
import { can, useApi } from '../lib/api';

const stateTone = (s: string) => (s === 'running' || s === 'ready' ? 'success' : s === 'failed' ? 'destructive' : s === 'inactive' ? 'secondary' : 'warning');

/** Installed extensions with status, permissions and the audit of calls made for the UI. */
export function ExtensionsPage({ state }: { state: AppState }) {
  const connection = useConnection();
  const { auth } = useApi();
  const admin = can(auth, 'admin');
  const [error, setError] = useState<string>();
  const toggle = (index: number, enabled: boolean) => {
    setError(undefined);
    // Optimistic: shown at once; a conflict rolls it back and the server's state comes back.
    connection.propose([{ op: 'replace', path: `/extensions/${index}/enabled`, value: enabled }]).catch((e: Error) => setError(e.message));
  };
  return (
    <div className="flex flex-col gap-4">
      {error && <Alert tone="destructive" title="Not changed">{error}</Alert>}
      {!admin && <p className="text-sm text-muted-foreground" data-testid="needs-admin">Enabling and disabling extensions needs a token with the admin scope.</p>}
      <div className="grid gap-4 lg:grid-cols-2">
        {state.extensions.map((ext, i) => (
          <Card key={ext.id} title={<span className="flex items-center gap-2">{ext.name}<Badge tone="outline">{ext.version}</Badge></span>} description={ext.description} data-testid={`extension-${ext.id}`}>
            <div className="flex flex-wrap items-center gap-2 text-sm">
              <code className="font-mono text-xs">{ext.id}</code>
              <Badge tone="secondary">{ext.kind}</Badge>
              <Badge tone="outline">{ext.mode}</Badge>
              <Badge tone={stateTone(ext.state)}>{ext.state}</Badge>
              {ext.crashes > 0 && <Badge tone="destructive">{ext.crashes} crashes</Badge>}
            </div>
            <Switch id={`enable-${i}`} label={ext.enabled ? 'Enabled' : 'Disabled'} checked={ext.enabled} disabled={!admin} title={admin ? undefined : 'needs the admin scope'} onCheckedChange={(v) => toggle(i, v)} />
            <h3 className="text-sm font-medium">Permissions</h3>
            <PermissionList permissions={ext.permissions as Record<string, unknown>} />
            <div className="text-xs text-muted-foreground">Methods: {ext.methods.join(', ')}</div>
          </Card>
        ))}
      </div>
      <Card title="Audit" description="Calls made to extensions on behalf of this UI (newest first)">
        <Table
          columns={[{ key: 'time', label: 'Time' }, { key: 'extension', label: 'Extension' }, { key: 'method', label: 'Method' }, { key: 'outcome', label: 'Outcome' }, { key: 'ms', label: 'ms' }]}
          rows={[...state.audit].reverse().slice(0, 25).map((a) => ({ time: new Date(a.at).toLocaleTimeString(), extension: a.extension, method: a.method, outcome: a.ok ? 'ok' : a.code ?? 'error', ms: a.ms }))}
          rowKey={(_row, i) => String(i)}
        />
      </Card>
    </div>
  );
}
