import { useCallback, useEffect, useState } from 'react';
import { Alert } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card } from '../components/ui/card';
import { useApi, type ArtifactSummary } from '../lib/api';

/** JSON values (most step outputs) indented; anything else as it is. */
function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Opens an artifact's bytes (`GET /artifacts/:name/versions/:version`), shown as text. */
export function ArtifactContents() {
  const { api } = useApi();
  const [artifacts, setArtifacts] = useState<ArtifactSummary[]>([]);
  const [open, setOpen] = useState<{ ref: ArtifactSummary; text?: string; truncated?: boolean; error?: string }>();
  const refresh = useCallback(() => { api.artifacts().then(setArtifacts, () => setArtifacts([])); }, [api]);
  useEffect(refresh, [refresh]);

  const show = async (ref: ArtifactSummary) => {
    setOpen({ ref });
    try {
      const { text, truncated } = await api.artifactText(ref.name, ref.version);
      setOpen({ ref, text: truncated ? text : pretty(text), truncated });
    } catch (err) {
      setOpen({ ref, error: (err as Error).message });
    }
  };

  return (
    <Card title="Contents" description="Open the latest version of an artifact" className="mt-4" data-testid="artifact-contents">
      <div className="mb-3 flex flex-wrap gap-2">
        {artifacts.map((a) => (
          <Button key={a.name} variant={open?.ref.name === a.name ? 'secondary' : 'outline'} size="sm" data-testid={`open-${a.name}`} onClick={() => void show(a)}>
            {a.name} v{a.version}
          </Button>
        ))}
        <Button variant="ghost" size="sm" onClick={refresh}>Refresh</Button>
      </div>
      {open?.error && <Alert tone="destructive" title="Could not open it">{open.error}</Alert>}
      {open?.text !== undefined && (
        <pre className="max-h-[32rem] overflow-auto whitespace-pre-wrap break-words rounded-md bg-muted p-3 text-xs" data-testid="artifact-text" data-artifact={`${open.ref.name}@${open.ref.version}`}>
          {open.text}{open.truncated ? '\n…' : ''}
        </pre>
      )}
    </Card>
  );
}
