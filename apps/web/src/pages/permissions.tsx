import { Badge } from '../components/ui/badge';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

interface Grant { path: string; values: string[]; network: boolean; wildcard: boolean }

/** Flattens a manifest's `permissions` to one line per grant (`fs.read`, `net.hosts`, ...). */
export function permissionLines(permissions: Record<string, unknown>): Grant[] {
  const out: Grant[] = [];
  const walk = (value: Json, path: string) => {
    if (Array.isArray(value)) {
      if (value.length === 0) return;
      const values = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      out.push({ path, values, network: /^(net|network|http)/.test(path), wildcard: values.some((v) => v.includes('*')) });
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    } else if (value !== false && value !== null && value !== undefined) {
      const v = String(value);
      out.push({ path, values: [v], network: /^(net|network|http)/.test(path), wildcard: v.includes('*') });
    }
  };
  walk(permissions as Json, '');
  return out;
}

/** An extension's permissions as a readable list; network access and wildcards stand out. */
export function PermissionList({ permissions }: { permissions: Record<string, unknown> }) {
  const lines = permissionLines(permissions);
  if (lines.length === 0) return <p className="text-sm text-muted-foreground">No permissions requested.</p>;
  return (
    <ul className="flex flex-col gap-1 text-sm" aria-label="Permissions">
      {lines.map((g) => (
        <li key={g.path} className="flex flex-wrap items-baseline gap-x-2 gap-y-1" data-permission={g.path}>
          <span className="font-mono text-xs font-medium">{g.path}</span>
          {g.network && <Badge tone="warning">network</Badge>}
          {g.wildcard && <Badge tone="destructive">wildcard</Badge>}
          <span className="flex min-w-0 flex-wrap gap-1">
            {g.values.map((v) => <code key={v} className={`rounded px-1 font-mono text-xs break-all ${v.includes('*') ? 'bg-destructive/15 text-destructive-fg' : 'bg-muted'}`}>{v}</code>)}
          </span>
        </li>
      ))}
    </ul>
  );
}
