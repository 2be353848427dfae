import type { KeyboardEvent } from 'react';
import { cn } from '../../lib/cn';

type Cell = string | number | boolean | null | undefined;

export function Table({ columns, rows, onRowClick, rowKey, label }: {
  label?: string;
  columns: Array<{ key: string; label: string }>;
  rows: Array<Record<string, Cell>>;
  onRowClick?: (row: Record<string, Cell>, index: number) => void;
  rowKey?: (row: Record<string, Cell>, index: number) => string;
}) {
  return (
    // Focusable so that a keyboard user can scroll a table wider than the screen.
    <div className="w-full overflow-x-auto" tabIndex={0} role="region" aria-label={label ?? 'table'}>
      <table className="w-full caption-bottom text-sm">
        <thead className="[&_tr]:border-b">
          <tr>{columns.map((c) => <th key={c.key} className="h-9 px-2 text-left align-middle font-medium text-muted-foreground">{c.label}</th>)}</tr>
        </thead>
        <tbody className="[&_tr:last-child]:border-0">
          {rows.map((row, i) => (
            <tr
              key={rowKey ? rowKey(row, i) : String(row.id ?? i)}
              onClick={onRowClick ? () => onRowClick(row, i) : undefined}
              // Rows that open something are reachable and operable by keyboard (Enter or Space).
              {...(onRowClick ? {
                tabIndex: 0,
                'data-row': String(row.id ?? i),
                'aria-label': `Open ${String(row.id ?? i)}`,
                onKeyDown: (e: KeyboardEvent) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onRowClick(row, i); } },
              } : {})}
              className={cn('border-b transition-colors', onRowClick && 'cursor-pointer hover:bg-muted/60 focus-visible:bg-muted/60')}
            >
              {columns.map((c) => <td key={c.key} className="px-2 py-2 align-middle">{row[c.key] === null || row[c.key] === undefined ? '' : String(row[c.key])}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
