/**
 * Flattens a manifest's permissions object into one line per grant, for consent screens and
 * diffs: `{ fs: { read: ['${workspace}'] }, childProcess: true }` →
 * `['childProcess', 'fs.read: ${workspace}']`. Sorted, so two summaries compare line by line.
 */
export function summarizePermissions(permissions: unknown): string[] {
  const lines: string[] = [];
  const visit = (value: unknown, path: string) => {
    if (value === undefined || value === null || value === false) return;
    if (value === true) lines.push(path);
    else if (Array.isArray(value)) for (const item of value) visit(item === true ? true : String(item), path);
    else if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) visit(child, path ? `${path}.${key}` : key);
    } else lines.push(`${path}: ${String(value)}`);
  };
  visit(permissions, '');
  return [...new Set(lines)].sort();
}
