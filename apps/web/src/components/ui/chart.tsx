export function Chart({ kind, title, data }: { kind: 'bar' | 'line'; title?: string; data: Array<{ label: string; value: number }> }) {
  const W = 360; const H = 160; const pad = 24;
  const max = Math.max(1, ...data.map((d) => d.value));
  const step = data.length ? (W - pad * 2) / data.length : 0;
  const y = (v: number) => H - pad - (v / max) * (H - pad * 2);
  return (
    <figure className="flex flex-col gap-1">
      {title && <figcaption className="text-sm font-medium">{title}</figcaption>}
      <svg role="img" aria-label={title ?? 'chart'} width={W} height={H} viewBox={`0 0 ${W} ${H}`} className="max-w-full">
        <line x1={pad} y1={H - pad} x2={W - pad} y2={H - pad} stroke="var(--border)" />
        {kind === 'bar'
          ? data.map((d, i) => <rect key={d.label} x={pad + i * step + step * 0.15} y={y(d.value)} width={step * 0.7} height={H - pad - y(d.value)} rx={3} fill="var(--primary)" />)
          : <polyline fill="none" stroke="var(--primary)" strokeWidth={2} points={data.map((d, i) => `${pad + i * step + step / 2},${y(d.value)}`).join(' ')} />}
        {data.map((d, i) => <text key={d.label} x={pad + i * step + step / 2} y={H - 8} fontSize={10} textAnchor="middle" fill="var(--muted-foreground)">{d.label}</text>)}
      </svg>
    </figure>
  );
}
