import { readFile } from 'node:fs/promises';
import { SymphonyError } from '@symphony/types';
import { writeJsonAtomic } from './home-lock.js';
import type { VerifiedMetadata } from './metadata.js';
import { nullRecord } from './own.js';

/**
 * What this installation remembers about registries: the metadata key each registry URL
 * signed with when first seen (pinned, trust on first use, or given in options), and the
 * newest signed timestamp seen per registry key and package. Metadata older than that is a
 * replay (a mirror hiding newer versions or un-yanking one) and is refused.
 */
export interface RegistryState {
  pins: Map<string, { keyId: string; publicKey: string }>;
  seen: Map<string, Map<string, number>>;
}

interface StateFile {
  pins?: Record<string, { keyId: string; publicKey: string }>;
  seen?: Record<string, Record<string, number>>;
}

export async function readRegistryState(path: string): Promise<RegistryState> {
  let file: StateFile = {};
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as StateFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SymphonyError('E_REGISTRY_STATE_INVALID', `cannot read ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
    }
  }
  const pins = new Map(Object.entries(file.pins ?? {}).filter(([, pin]) => pin && typeof pin.keyId === 'string' && typeof pin.publicKey === 'string'));
  const seen = new Map<string, Map<string, number>>();
  for (const [keyId, ids] of Object.entries(file.seen ?? {})) {
    seen.set(keyId, new Map(Object.entries(ids ?? {}).filter(([, t]) => Number.isSafeInteger(t))));
  }
  return { pins, seen };
}

/** Refuses a key change or a rollback; otherwise records the metadata as seen (in memory). */
export function admitMetadata(state: RegistryState, registry: string, id: string, meta: VerifiedMetadata, configuredKey?: string): void {
  const pin = configuredKey !== undefined ? { publicKey: configuredKey } : state.pins.get(registry);
  if (pin && pin.publicKey !== meta.publicKey) {
    throw new SymphonyError('E_REGISTRY_KEY_CHANGED', `${registry} signed ${id}'s metadata with key ${meta.keyId}, not the key this installation ${configuredKey !== undefined ? 'was configured with' : 'pinned when it first used that registry'}; if the registry really rotated its key, remove its entry from registries.json`, {
      details: { registry, id, keyId: meta.keyId },
    });
  }
  if (!pin) state.pins.set(registry, { keyId: meta.keyId, publicKey: meta.publicKey });
  const ids = state.seen.get(meta.keyId) ?? new Map<string, number>();
  const newest = ids.get(id) ?? 0;
  if (meta.timestamp < newest) {
    throw new SymphonyError('E_METADATA_ROLLBACK', `${registry} served metadata for ${id} signed at ${new Date(meta.timestamp).toISOString()}, older than the ${new Date(newest).toISOString()} already seen from that registry: a stale mirror or a replay`, {
      details: { registry, id, timestamp: meta.timestamp, newestSeen: newest },
    });
  }
  ids.set(id, meta.timestamp);
  state.seen.set(meta.keyId, ids);
}

/** Writes the state, merged with whatever another process wrote meanwhile (pins kept, newest timestamps win). */
export async function saveRegistryState(path: string, state: RegistryState): Promise<void> {
  const current = await readRegistryState(path).catch(() => ({ pins: new Map(), seen: new Map() }) as RegistryState);
  const pins = nullRecord<{ keyId: string; publicKey: string }>();
  for (const [url, pin] of [...state.pins, ...current.pins]) pins[url] = pin;
  const seen = nullRecord<Record<string, number>>();
  for (const source of [state.seen, current.seen]) {
    for (const [keyId, ids] of source) {
      const target = (seen[keyId] ??= nullRecord<number>());
      for (const [id, t] of ids) target[id] = Math.max(target[id] ?? 0, t);
    }
  }
  await writeJsonAtomic(path, { pins, seen });
}
