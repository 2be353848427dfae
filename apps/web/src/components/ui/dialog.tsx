import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal dialog on the platform's `<dialog>` (`showModal()`): it sits in the top layer, the page
 * behind it is inert, focus moves in and goes back where it was, Escape and a click on the backdrop
 * close it. The page behind does not scroll while one is open (`html:has(dialog[open])` in
 * index.css). Radix's dialog locked scrolling by injecting a `<style>` element, which the app's
 * Content-Security-Policy refuses (host/csp.mjs).
 */
export function Dialog({ open, title, description, onOpenChange, children }: { open: boolean; title: string; description?: string; onOpenChange?: (open: boolean) => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-lg border bg-background p-0 text-foreground shadow-lg backdrop:bg-black/50"
      // Closed by Escape (or the browser): the extension hears it, as it would from a button.
      onClose={() => { if (open) onOpenChange?.(false); }}
      // A click on the backdrop targets the <dialog> itself (its content fills it otherwise).
      onClick={(e) => { if (e.target === e.currentTarget) e.currentTarget.close(); }}
    >
      <div className="grid gap-4 p-6">
        <h2 id={titleId} className="text-lg font-semibold">{title}</h2>
        <p id={descriptionId} className={description ? 'text-sm text-muted-foreground' : 'sr-only'}>{description ?? title}</p>
        {children}
      </div>
    </dialog>
  );
}
