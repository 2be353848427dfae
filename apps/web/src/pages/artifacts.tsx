import { useApi } from '../lib/api';
import type { AppState } from '../lib/hooks';
import { VdomView } from '../vdom/view';
import { ArtifactContents } from './artifact-contents';

/** Artifacts: the artifact browser motif's panel (versions, lineage), and on the server their contents. */
export function ArtifactsPage({ state }: { state: AppState }) {
  const { auth } = useApi();
  return (
    <>
      <VdomView extension={state.pages.artifacts.extension} name={state.pages.artifacts.name} />
      {auth.status === 'authed' && <ArtifactContents />}
    </>
  );
}
