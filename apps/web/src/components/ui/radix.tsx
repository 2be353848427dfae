import * as TabsPrimitive from '@radix-ui/react-tabs';
import * as TooltipPrimitive from '@radix-ui/react-tooltip';
import type { ReactNode } from 'react';

/** Radix-based components: loaded on demand (a separate chunk), not with the first screen. (The dialog is the platform's: ./dialog.tsx.) */
export function Tabs({ value, onValueChange, tabs }: { value?: string; onValueChange?: (v: string) => void; tabs: Array<{ value: string; label: string; content: ReactNode }> }) {
  return (
    <TabsPrimitive.Root defaultValue={value ?? tabs[0]?.value} value={onValueChange ? value : undefined} onValueChange={onValueChange} className="flex flex-col gap-2">
      <TabsPrimitive.List className="inline-flex h-9 w-fit items-center rounded-lg bg-muted p-1 text-muted-foreground">
        {tabs.map((t) => (
          <TabsPrimitive.Trigger key={t.value} value={t.value} className="rounded-md px-3 py-1 text-sm font-medium data-[state=active]:bg-background data-[state=active]:text-foreground data-[state=active]:shadow-sm">
            {t.label}
          </TabsPrimitive.Trigger>
        ))}
      </TabsPrimitive.List>
      {tabs.map((t) => <TabsPrimitive.Content key={t.value} value={t.value}>{t.content}</TabsPrimitive.Content>)}
    </TabsPrimitive.Root>
  );
}

export function Tooltip({ content, children }: { content: string; children: ReactNode }) {
  return (
    <TooltipPrimitive.Provider delayDuration={200}>
      <TooltipPrimitive.Root>
        <TooltipPrimitive.Trigger asChild><span className="inline-flex">{children}</span></TooltipPrimitive.Trigger>
        <TooltipPrimitive.Portal>
          <TooltipPrimitive.Content sideOffset={4} className="z-50 rounded-md bg-primary px-3 py-1.5 text-xs text-primary-foreground">{content}</TooltipPrimitive.Content>
        </TooltipPrimitive.Portal>
      </TooltipPrimitive.Root>
    </TooltipPrimitive.Provider>
  );
}
