import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SymphonyError } from '@symphony/types';
import type { PermissionKind, PermissionRequest } from './permission-set.js';

/** A user's decision about one permission of one extension version. */
export interface GrantRecord {
  permission: PermissionKind;
  /** A path pattern (may use `${workspace}`...), `host:port`, a command or an env name; `true` for `worker`. */
  value: string;
  effect: 'allow' | 'deny';
  /** ISO time of the decision. */
  at: string;
}

export interface ExtensionKey {
  id: string;
  version: string;
}

export interface GrantStore {
  readonly file: string;
  /** Allows a permission beyond the manifest (or re-allows a revoked one). */
  grant(ext: ExtensionKey, permission: PermissionKind, value: string): GrantRecord;
  /** Denies a permission, even one the manifest asks for. */
  revoke(ext: ExtensionKey, permission: PermissionKind, value: string): GrantRecord;
  /** Forgets the user's decision, so the manifest alone decides again. */
  reset(ext: ExtensionKey, permission?: PermissionKind, value?: string): number;
  list(ext: ExtensionKey): GrantRecord[];
  /** The records as two permission requests, ready for `createPermissionSet`. */
  asRequests(ext: ExtensionKey): { granted: PermissionRequest; revoked: PermissionRequest };
  /** Called after every change, e.g. to audit it. */
  onChange?: (ext: ExtensionKey, record: GrantRecord, change: 'grant' | 'revoke' | 'reset') => void;
}

interface StoreFile {
  version: 1;
  grants: Record<string, GrantRecord[]>;
}

const KINDS: readonly PermissionKind[] = ['fs.read', 'fs.write', 'net', 'child_process', 'env', 'worker'];

/**
 * Grants persisted as one JSON file per Symphony home, keyed by `id@version`: a new version of an
 * extension starts from its manifest again, so a permission it newly asks for needs new consent.
 * Every change rewrites the file atomically (temp file + rename).
 */
export function createGrantStore(file: string): GrantStore {
  let data = load(file);

  function key(ext: ExtensionKey): string {
    if (!ext.id || !ext.version) throw new SymphonyError('E_INPUT_INVALID', 'A grant needs an extension id and version.', { details: { extension: ext } });
    return `${ext.id}@${ext.version}`;
  }

  function persist(): void {
    mkdirSync(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, file);
  }

  function set(ext: ExtensionKey, permission: PermissionKind, value: string, effect: 'allow' | 'deny'): GrantRecord {
    if (!KINDS.includes(permission)) {
      throw new SymphonyError('E_INPUT_INVALID', `Unknown permission "${permission}"; expected one of ${KINDS.join(', ')}.`, { details: { permission } });
    }
    if (typeof value !== 'string' || value === '') throw new SymphonyError('E_INPUT_INVALID', `A ${permission} grant needs a value.`, { details: { permission, value } });
    const k = key(ext);
    const records = (data.grants[k] ?? []).filter((r) => !(r.permission === permission && r.value === value));
    const record: GrantRecord = { permission, value, effect, at: new Date().toISOString() };
    records.push(record);
    data = { ...data, grants: { ...data.grants, [k]: records } };
    persist();
    store.onChange?.(ext, record, effect === 'allow' ? 'grant' : 'revoke');
    return record;
  }

  const store: GrantStore = {
    file,
    grant: (ext, permission, value) => set(ext, permission, value, 'allow'),
    revoke: (ext, permission, value) => set(ext, permission, value, 'deny'),
    reset(ext, permission, value) {
      const k = key(ext);
      const before = data.grants[k] ?? [];
      const removed = before.filter((r) => (permission === undefined || r.permission === permission) && (value === undefined || r.value === value));
      data = { ...data, grants: { ...data.grants, [k]: before.filter((r) => !removed.includes(r)) } };
      persist();
      for (const r of removed) store.onChange?.(ext, r, 'reset');
      return removed.length;
    },
    list: (ext) => [...(data.grants[key(ext)] ?? [])],
    asRequests(ext) {
      const records = data.grants[key(ext)] ?? [];
      return { granted: toRequest(records.filter((r) => r.effect === 'allow')), revoked: toRequest(records.filter((r) => r.effect === 'deny')) };
    },
  };
  return store;
}

function toRequest(records: GrantRecord[]): PermissionRequest {
  const values = (kind: PermissionKind) => records.filter((r) => r.permission === kind).map((r) => r.value);
  return {
    fs: { read: values('fs.read'), write: values('fs.write') },
    net: values('net'),
    child_process: values('child_process'),
    env: values('env'),
    worker: records.some((r) => r.permission === 'worker'),
  };
}

function load(file: string): StoreFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, grants: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as StoreFile;
    if (parsed.version !== 1 || typeof parsed.grants !== 'object' || parsed.grants === null) throw new Error('unexpected shape');
    return parsed;
  } catch (error) {
    // Refuse to start from an empty store: silently dropping revocations would widen access.
    throw new SymphonyError('E_CONFIG_INVALID', `The grant store ${file} is unreadable (${(error as Error).message}); fix or remove it.`, {
      details: { path: file },
      cause: error,
    });
  }
}
