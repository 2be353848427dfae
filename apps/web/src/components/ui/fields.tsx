import { useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { cn } from '../../lib/cn';

const field = 'w-full rounded-md border border-input bg-transparent px-3 py-1.5 text-sm shadow-xs outline-none focus-visible:ring-2 focus-visible:ring-ring/50 disabled:opacity-50';

export function Field({ label, htmlFor, children }: { label?: string; htmlFor: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1.5">
      {label && <label htmlFor={htmlFor} className="text-sm font-medium">{label}</label>}
      {children}
    </div>
  );
}

export const Input = ({ className, ...props }: InputHTMLAttributes<HTMLInputElement>) => <input className={cn(field, 'h-9', className)} {...props} />;
export const Textarea = ({ className, ...props }: TextareaHTMLAttributes<HTMLTextAreaElement>) => <textarea className={cn(field, 'min-h-16', className)} {...props} />;
export const Select = ({ className, ...props }: SelectHTMLAttributes<HTMLSelectElement>) => <select className={cn(field, 'h-9', className)} {...props} />;

export function Checkbox({ label, id, ...props }: InputHTMLAttributes<HTMLInputElement> & { label?: string }) {
  return (
    <label htmlFor={id} className="flex items-center gap-2 text-sm">
      <input id={id} type="checkbox" className="size-4 rounded border-input accent-primary" {...props} />
      {label}
    </label>
  );
}

/** A switch that still submits with its form (a hidden checkbox carries the value). */
export function Switch({ label, name, id, defaultChecked, checked, disabled, title, onCheckedChange }: { label?: string; name?: string; id: string; defaultChecked?: boolean; checked?: boolean; disabled?: boolean; title?: string; onCheckedChange?: (v: boolean) => void }) {
  const [inner, setInner] = useState(defaultChecked ?? false);
  const on = checked ?? inner;
  return (
    <label htmlFor={id} className="flex items-center gap-2 text-sm">
      <button
        id={id} type="button" role="switch" aria-checked={on} disabled={disabled} title={title}
        onClick={() => { if (disabled) return; setInner(!on); onCheckedChange?.(!on); }}
        className={cn('relative inline-flex h-5 w-9 shrink-0 cursor-pointer items-center rounded-full transition-colors disabled:cursor-not-allowed disabled:opacity-50', on ? 'bg-primary' : 'bg-input')}
      >
        <span className={cn('block size-4 rounded-full bg-background shadow transition-transform', on ? 'translate-x-4.5' : 'translate-x-0.5')} />
      </button>
      {name && <input type="checkbox" name={name} checked={on} readOnly hidden />}
      {label}
    </label>
  );
}
