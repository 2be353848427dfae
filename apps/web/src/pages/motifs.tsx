import { useState } from 'react';
import { Button } from '../components/ui/button';
import type { AppState } from '../lib/hooks';
import { VdomView } from '../vdom/view';

/** Every panel contributed by a motif; the selected one is rendered live from its extension. */
export function MotifsPage({ state }: { state: AppState }) {
  const panels = state.motifs.flatMap((m) => m.panels.map((p) => ({ ...p, extension: m.extension })));
  const [selected, setSelected] = useState(() => panels[0] && `${panels[0].extension}:${panels[0].name}`);
  const current = panels.find((p) => `${p.extension}:${p.name}` === selected);
  return (
    <div className="flex flex-col gap-4 md:flex-row">
      <nav className="flex shrink-0 flex-col gap-1 md:w-56" aria-label="Motif panels">
        {panels.map((p) => {
          const id = `${p.extension}:${p.name}`;
          return (
            <Button key={id} variant={id === selected ? 'secondary' : 'ghost'} className="h-auto justify-start py-2 text-left" onClick={() => setSelected(id)}>
              <span className="flex flex-col items-start"><span>{p.title}</span><span className="text-xs font-normal opacity-80">{p.extension}</span></span>
            </Button>
          );
        })}
      </nav>
      <div className="min-w-0 flex-1">{current ? <VdomView key={selected} extension={current.extension} name={current.name} /> : <p className="text-sm text-muted-foreground">No motif panels installed.</p>}</div>
    </div>
  );
}
