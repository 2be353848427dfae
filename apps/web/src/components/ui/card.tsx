import type { HTMLAttributes, ReactNode } from 'react';
import { cn } from '../../lib/cn';

export function Card({ title, description, className, children, ...props }: Omit<HTMLAttributes<HTMLDivElement>, 'title'> & { title?: ReactNode; description?: ReactNode }) {
  return (
    <div className={cn('rounded-lg border bg-card text-card-foreground shadow-sm', className)} {...props}>
      {(title || description) && (
        <div className="flex flex-col gap-1 px-5 pt-5">
          {title && <h2 className="text-base leading-none font-semibold">{title}</h2>}
          {description && <p className="text-sm text-muted-foreground">{description}</p>}
        </div>
      )}
      <div className="flex flex-col gap-3 p-5">{children}</div>
    </div>
  );
}
