import { useId } from 'react';
import { cn } from '../../lib/cn';

export function Progress({ value, label, tone }: { value: number; label?: string; tone?: string }) {
  const labelId = useId();
  const bar = tone === 'destructive' ? 'bg-destructive' : tone === 'success' ? 'bg-success' : 'bg-primary';
  return (
    <div className="flex flex-col gap-1">
      {label && <span id={labelId} className="text-xs text-muted-foreground">{label}</span>}
      <div role="progressbar" aria-valuenow={value} aria-valuemin={0} aria-valuemax={100} {...(label ? { 'aria-labelledby': labelId } : { 'aria-label': `${value}% done` })} className="h-2 w-full overflow-hidden rounded-full bg-muted">
        <div className={cn('h-full transition-all', bar)} style={{ width: `${Math.max(0, Math.min(100, value))}%` }} />
      </div>
    </div>
  );
}

export const Separator = ({ orientation = 'horizontal' }: { orientation?: 'horizontal' | 'vertical' }) => (
  <div role="separator" className={cn('shrink-0 bg-border', orientation === 'horizontal' ? 'h-px w-full' : 'h-full w-px')} />
);

export const CodeBlock = ({ code, language }: { code: string; language?: string }) => (
  <pre data-language={language} tabIndex={0} aria-label={language ? `${language} text` : 'text'} className="max-h-80 overflow-auto rounded-md border bg-muted/50 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap">{code}</pre>
);

