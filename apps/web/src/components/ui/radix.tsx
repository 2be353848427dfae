import * as TabsPrimitive from '@radix-ui/react-tabs';
import * as DialogPrimitive from '@radix-ui/react-dialog';
import * as TooltipPrimitive from '@radix-ui/react-tooltip';
import type { ReactNode } from 'react';

/** Radix-based components: loaded on demand (a separate chunk), not with the first screen. */
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

export function Dialog({ open, title, description, onOpenChange, children }: { open: boolean; title: string; description?: string; onOpenChange?: (open: boolean) => void; children: ReactNode }) {
  return (
    <DialogPrimitive.Root open={open} onOpenChange={onOpenChange}>
      <DialogPrimitive.Portal>
        <DialogPrimitive.Overlay className="fixed inset-0 z-50 bg-black/50" />
        <DialogPrimitive.Content className="fixed top-1/2 left-1/2 z-50 grid w-full max-w-lg -translate-x-1/2 -translate-y-1/2 gap-4 rounded-lg border bg-background p-6 shadow-lg">
          <DialogPrimitive.Title className="text-lg font-semibold">{title}</DialogPrimitive.Title>
          {description ? <DialogPrimitive.Description className="text-sm text-muted-foreground">{description}</DialogPrimitive.Description> : <DialogPrimitive.Description className="sr-only">{title}</DialogPrimitive.Description>}
          {children}
        </DialogPrimitive.Content>
      </DialogPrimitive.Portal>
    </DialogPrimitive.Root>
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
