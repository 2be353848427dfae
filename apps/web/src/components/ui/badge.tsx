import type { HTMLAttributes } from 'react';
import { cn } from '../../lib/cn';

const tones = {
  default: 'bg-primary text-primary-foreground border-transparent',
  secondary: 'bg-secondary text-secondary-foreground border-transparent',
  success: 'bg-success/15 text-success-fg border-success/30',
  warning: 'bg-warning/15 text-warning-fg border-warning/40',
  destructive: 'bg-destructive/15 text-destructive-fg border-destructive/30',
  outline: 'text-foreground',
} as const;

export type BadgeTone = keyof typeof tones;

export function Badge({ tone = 'default', className, ...props }: HTMLAttributes<HTMLSpanElement> & { tone?: BadgeTone }) {
  return <span className={cn('inline-flex w-fit items-center rounded-md border px-2 py-0.5 text-xs font-medium whitespace-nowrap', tones[tone], className)} {...props} />;
}
