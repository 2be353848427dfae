import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { SymphonyError } from '@symphony/types';

export type AuditKind = 'deny' | 'grant' | 'revoke' | 'limit' | 'warning' | 'refuse';

/** One line of the audit log. */
export interface AuditEntry {
  /** ISO-8601 time of the event. */
  time: string;
  kind: AuditKind;
  extensionId: string;
  version: string;
  /** What was attempted: `fs.read`, `net`, `spawn`, `memory`, `grant`... */
  operation: string;
  /** What it was attempted on: a resolved path, `host:port`, a command, a limit. */
  target: string;
  /** The rule or limit that decided. */
  rule: string;
  detail?: string;
}

export interface AuditQuery {
  extensionId?: string;
  version?: string;
  kind?: AuditKind;
  /** Only entries at or after this ISO time. */
  since?: string;
  /** The newest `limit` entries. */
  limit?: number;
}

export interface AuditLog {
  readonly file: string;
  append(entry: Omit<AuditEntry, 'time'> & { time?: string }): AuditEntry;
  read(query?: AuditQuery): AuditEntry[];
  close(): void;
}

/**
 * An append-only JSON-lines file. Each entry is one `write` of one line on an `O_APPEND` fd, so
 * lines from concurrent writers do not interleave and a crash loses at most the line in flight,
 * which `read` skips.
 */
export function createAuditLog(file: string): AuditLog {
  mkdirSync(dirname(file), { recursive: true });
  let fd: number | undefined = openSync(file, 'a', 0o600);
  return {
    file,
    append(input) {
      if (fd === undefined) throw new SymphonyError('E_KERNEL_STATE', `The audit log ${file} is closed.`, { details: { path: file } });
      const entry: AuditEntry = {
        time: input.time ?? new Date().toISOString(),
        kind: input.kind,
        extensionId: input.extensionId,
        version: input.version,
        operation: input.operation,
        target: input.target,
        rule: input.rule,
        ...(input.detail === undefined ? {} : { detail: input.detail }),
      };
      writeSync(fd, JSON.stringify(entry) + '\n');
      return entry;
    },
    read(query = {}) {
      if (!existsSync(file)) return [];
      const entries: AuditEntry[] = [];
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        let entry: AuditEntry;
        try {
          entry = JSON.parse(line) as AuditEntry;
        } catch {
          continue; // a torn last line after a crash
        }
        if (query.extensionId !== undefined && entry.extensionId !== query.extensionId) continue;
        if (query.version !== undefined && entry.version !== query.version) continue;
        if (query.kind !== undefined && entry.kind !== query.kind) continue;
        if (query.since !== undefined && entry.time < query.since) continue;
        entries.push(entry);
      }
      return query.limit === undefined ? entries : entries.slice(-query.limit);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
