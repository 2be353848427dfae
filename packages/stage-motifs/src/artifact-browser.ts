import type { ArtifactRef, Producer } from '@symphony/types';
import { ui, type SourceNode } from '@symphony/vdom';
import { createMotif, type Motif } from './motif.js';

export interface ArtifactVersionInfo {
  version: number;
  hash: string;
  size?: number;
  createdAt?: number;
  producer?: Producer;
  /** The artifacts this version was made from (its lineage). */
  parents?: ArtifactRef[];
  quality?: number;
}

export interface ArtifactInfo {
  name: string;
  versions: ArtifactVersionInfo[];
}

interface BrowserState { artifacts: ArtifactInfo[]; name?: string; version?: number }

const short = (hash: string) => hash.slice(0, 12);
const producerText = (p?: Producer) => (p ? [p.runId && `run ${p.runId}`, p.stepId && `step ${p.stepId}`, p.extensionId].filter(Boolean).join(' · ') : '');

type SetBrowser = (f: (s: BrowserState) => BrowserState) => void;

// Handlers built once per view instance, so their ids survive live re-renders (see run-monitor).
const browserHandlers = new WeakMap<SetBrowser, { selectName: (e: { value?: unknown }) => void; selectVersion: (e: { value?: unknown }) => void }>();
function handlersFor(set: SetBrowser) {
  let h = browserHandlers.get(set);
  if (!h) {
    h = {
      selectName: (e) => set((s) => ({ ...s, name: String(e.value), version: undefined })),
      selectVersion: (e) => set((s) => ({ ...s, version: Number(e.value) })),
    };
    browserHandlers.set(set, h);
  }
  return h;
}

function renderBrowser(state: BrowserState, set: SetBrowser): SourceNode {
  const selected = state.artifacts.find((a) => a.name === state.name);
  return ui.stack({ gap: 4 },
    ui.card({ title: 'Artifacts', description: `${state.artifacts.length} artifact${state.artifacts.length === 1 ? '' : 's'}` },
      state.artifacts.length === 0 ? ui.text({ tone: 'muted' }, 'No artifacts yet.') : ui.table({
        columns: [{ key: 'id', label: 'Name' }, { key: 'latest', label: 'Latest' }, { key: 'versions', label: 'Versions' }, { key: 'hash', label: 'Hash' }],
        rows: state.artifacts.map((a) => {
          const latest = a.versions[a.versions.length - 1];
          return { id: a.name, latest: latest ? `v${latest.version}` : '', versions: a.versions.length, hash: latest ? short(latest.hash) : '' };
        }),
        onRowClick: handlersFor(set).selectName,
      })),
    selected ? renderArtifact(selected, state.version, set) : null);
}

function renderArtifact(artifact: ArtifactInfo, version: number | undefined, set: (f: (s: BrowserState) => BrowserState) => void): SourceNode {
  const nodeId = (ref: { name: string; version: number }) => `${ref.name}@${ref.version}`;
  const nodes = new Map<string, { id: string; label: string; status?: 'succeeded'; detail?: string }>();
  const edges: Array<{ from: string; to: string }> = [];
  for (const v of artifact.versions) {
    const id = nodeId({ name: artifact.name, version: v.version });
    nodes.set(id, { id, label: `${artifact.name} v${v.version}`, status: 'succeeded', detail: short(v.hash) });
    for (const p of v.parents ?? []) {
      const pid = nodeId(p);
      if (!nodes.has(pid)) nodes.set(pid, { id: pid, label: `${p.name} v${p.version}`, detail: short(p.hash) }); // an input made elsewhere
      edges.push({ from: pid, to: id });
    }
    if (artifact.versions.some((x) => x.version === v.version - 1)) edges.push({ from: nodeId({ name: artifact.name, version: v.version - 1 }), to: id });
  }
  const current = artifact.versions.find((v) => v.version === version);
  return ui.stack({ gap: 4, key: `artifact-${artifact.name}` },
    ui.card({ title: artifact.name, description: 'Versions' },
      ui.table({
        columns: [{ key: 'id', label: 'Version' }, { key: 'hash', label: 'Hash' }, { key: 'size', label: 'Size' }, { key: 'producer', label: 'Producer' }, { key: 'quality', label: 'Quality' }],
        rows: artifact.versions.map((v) => ({ id: v.version, hash: short(v.hash), size: v.size ?? null, producer: producerText(v.producer), quality: v.quality ?? null })),
        onRowClick: handlersFor(set).selectVersion,
      })),
    ui.card({ title: 'Lineage', description: 'What each version was made from' },
      ui.graph({ nodes: [...nodes.values()], edges, ...(current ? { selected: nodeId({ name: artifact.name, version: current.version }) } : {}) })),
    current ? ui.card({ title: `${artifact.name} v${current.version}`, key: `v-${current.version}` },
      ui.codeBlock({ code: JSON.stringify(current, null, 2), language: 'json' })) : null);
}

/** The artifact browser motif: artifacts, their versions and lineage. */
export function createArtifactBrowser(options: { id?: string } = {}): Motif {
  let artifacts: ArtifactInfo[] = [];
  const refresh = () => motif.runtime.forEach('browser', (view) => view.setState({ ...(view.state as BrowserState), artifacts }));
  const motif: Motif = createMotif({
    id: options.id ?? 'symphony.artifact-browser',
    title: 'Artifact browser',
    panels: {
      browser: {
        title: 'Artifacts',
        description: 'Artifacts in the store: versions, hashes, producers and lineage',
        initialState: (): BrowserState => ({ artifacts }),
        restore: (state: BrowserState) => {
          if (artifacts.length === 0) artifacts = state.artifacts;
          return { ...state, artifacts };
        },
        render: ({ state, setState }) => renderBrowser(state as BrowserState, setState as never),
      },
    },
    methods: {
      setArtifacts(input: { artifacts: ArtifactInfo[] }) {
        artifacts = input.artifacts.map((a) => ({ ...a, versions: [...a.versions].sort((x, y) => x.version - y.version) }));
        refresh();
        return { artifacts: artifacts.length };
      },
      addVersion(input: { name: string } & ArtifactVersionInfo) {
        const { name, ...version } = input;
        const existing = artifacts.find((a) => a.name === name);
        artifacts = existing
          ? artifacts.map((a) => (a === existing ? { ...a, versions: [...a.versions.filter((v) => v.version !== version.version), version].sort((x, y) => x.version - y.version) } : a))
          : [...artifacts, { name, versions: [version] }];
        refresh();
        return { artifacts: artifacts.length };
      },
    },
  });
  return motif;
}
