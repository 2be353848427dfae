import { useCallback, useEffect, useState } from 'react';
import { Alert } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card } from '../components/ui/card';
import { useApi, type ArtifactSummary } from '../lib/api';
import { ArtifactPreview } from './artifact-preview';

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
      setOpen({ ref, text, truncated });
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
        <div className="flex flex-col gap-2" data-artifact={`${open.ref.name}@${open.ref.version}`}>
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <span className="font-mono">{open.ref.name}@{open.ref.version}</span>
            <a className="underline underline-offset-4" data-testid="artifact-download" href={`/artifacts/${encodeURIComponent(open.ref.name)}/versions/${open.ref.version}`} download={open.ref.name.replace(/[^\w.-]+/g, '_')}>Download</a>
            {open.truncated && <span className="text-muted-foreground">Showing the first 64 KiB; download for all of it.</span>}
          </div>
          {open.truncated
            ? <pre className="max-h-[32rem] overflow-auto rounded-md bg-muted p-3 text-xs break-words whitespace-pre-wrap" data-testid="artifact-text">{open.text}{'\n…'}</pre>
            : <ArtifactPreview name={open.ref.name} text={open.text} />}
        </div>
      )}
    </Card>
  );
}
