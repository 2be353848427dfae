import type { HTMLAttributes, ReactNode } from 'react';
import { cn } from '../../lib/cn';

const tones = {
  default: 'bg-card text-card-foreground',
  destructive: 'border-destructive/40 text-destructive-fg bg-destructive/5',
  success: 'border-success/40 text-success-fg bg-success/5',
  warning: 'border-warning/50 bg-warning/10',
} as const;

export function Alert({ tone = 'default', title, className, children, ...props }: HTMLAttributes<HTMLDivElement> & { tone?: keyof typeof tones; title?: ReactNode }) {
  return (
    <div role="alert" className={cn('rounded-lg border px-4 py-3 text-sm', tones[tone], className)} {...props}>
      {title && <div className="mb-1 font-medium">{title}</div>}
      <div className="opacity-90">{children}</div>
    </div>
  );
}
