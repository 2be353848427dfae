import { useState, type KeyboardEvent } from 'react';
import { cn } from '../../lib/cn';

export interface GraphNode { id: string; label: string; status?: string; detail?: string }

const statusColor: Record<string, string> = {
  pending: 'var(--muted-foreground)', ready: 'var(--info)', running: 'var(--warning)', retrying: 'var(--warning)',
  succeeded: 'var(--success)', failed: 'var(--destructive)', skipped: 'var(--muted-foreground)',
};
const W = 168;
const H = 52;
const GAP_X = 56;
const GAP_Y = 18;

/** Columns by longest path from a source, so every edge points right (a DAG drawn left to right). */
export function layoutDag(nodes: GraphNode[], edges: Array<{ from: string; to: string }>): Map<string, { x: number; y: number }> {
  const level = new Map(nodes.map((n) => [n.id, 0]));
  // Relax edges |V| times at most: enough for any DAG, bounded for a graph with a cycle.
  for (let round = 0; round < nodes.length; round++) {
    let changed = false;
    for (const e of edges) {
      const next = (level.get(e.from) ?? 0) + 1;
      if (level.has(e.to) && next > level.get(e.to)!) { level.set(e.to, next); changed = true; }
    }
    if (!changed) break;
  }
  const rows = new Map<number, number>();
  const pos = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const col = level.get(n.id) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    pos.set(n.id, { x: 8 + col * (W + GAP_X), y: 8 + row * (H + GAP_Y) });
  }
  return pos;
}

export function Graph({ nodes, edges, selected, onNodeClick }: { nodes: GraphNode[]; edges: Array<{ from: string; to: string }>; selected?: string; onNodeClick?: (id: string) => void }) {
  const pos = layoutDag(nodes, edges);
  const width = Math.max(...[...pos.values()].map((p) => p.x + W), W) + 8;
  const height = Math.max(...[...pos.values()].map((p) => p.y + H), H) + 8;
  // Drawn at its real size (never shrunk to fit: labels stay legible on a phone) in a box that
  // scrolls (pans) by touch, mouse or keyboard; the zoom buttons scale it.
  const [zoom, setZoom] = useState(1);
  return (
    <div className="flex flex-col gap-1" data-testid="graph">
      <div className="flex items-center gap-1 text-xs text-muted-foreground">
        <button type="button" className="rounded border px-2 py-0.5" aria-label="Zoom out" onClick={() => setZoom((z) => Math.max(0.5, z - 0.25))}>−</button>
        <span aria-live="polite">{Math.round(zoom * 100)}%</span>
        <button type="button" className="rounded border px-2 py-0.5" aria-label="Zoom in" onClick={() => setZoom((z) => Math.min(2, z + 0.25))}>+</button>
      </div>
      <div className="max-h-[70vh] w-full overflow-auto rounded-md border" tabIndex={0} role="region" aria-label="Step graph (scroll to pan)">
    <svg role="group" aria-label="Step graph" width={width * zoom} height={height * zoom} viewBox={`0 0 ${width} ${height}`}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="var(--muted-foreground)" />
        </marker>
      </defs>
      {edges.map((e) => {
        const a = pos.get(e.from);
        const b = pos.get(e.to);
        if (!a || !b) return null;
        const x1 = a.x + W; const y1 = a.y + H / 2; const x2 = b.x; const y2 = b.y + H / 2;
        return <path key={`${e.from}->${e.to}`} data-edge={`${e.from}->${e.to}`} d={`M ${x1} ${y1} C ${x1 + GAP_X / 2} ${y1}, ${x2 - GAP_X / 2} ${y2}, ${x2 - 2} ${y2}`} fill="none" stroke="var(--muted-foreground)" strokeWidth={1.2} markerEnd="url(#arrow)" />;
      })}
      {nodes.map((n) => {
        const p = pos.get(n.id)!;
        const color = statusColor[n.status ?? 'pending'] ?? statusColor.pending;
        return (
          <g key={n.id} data-node={n.id} data-status={n.status} transform={`translate(${p.x} ${p.y})`} onClick={onNodeClick ? () => onNodeClick(n.id) : undefined}
            {...(onNodeClick ? {
              tabIndex: 0, role: 'button', 'aria-pressed': n.id === selected,
              'aria-label': `${n.label}: ${[n.status, n.detail].filter(Boolean).join(', ')}`,
              onKeyDown: (e: KeyboardEvent) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onNodeClick(n.id); } },
            } : {})}
            className={cn(onNodeClick && 'cursor-pointer')}>
            <title>{[n.label, n.status, n.detail].filter(Boolean).join(' · ')}</title>
            <rect width={W} height={H} rx={8} fill="var(--card)" stroke={n.id === selected ? 'var(--foreground)' : color} strokeWidth={n.id === selected ? 2.5 : 1.5} />
            <circle cx={14} cy={H / 2} r={5} fill={color} className={n.status === 'running' || n.status === 'retrying' ? 'animate-pulse' : undefined} />
            <text x={26} y={21} fontSize={13} fontWeight={600} fill="var(--foreground)">{clip(n.label, 19)}</text>
            <text x={26} y={38} fontSize={11} fill="var(--muted-foreground)">{clip([n.status, n.detail].filter(Boolean).join(' · '), 24)}</text>
          </g>
        );
      })}
    </svg>
      </div>
    </div>
  );
}

/** Cuts a label that would overflow its node, marking the cut; the full text is the node's title and label. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
