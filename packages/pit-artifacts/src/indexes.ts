import type { Key } from 'lmdb';
import { SymphonyError, type ArtifactQuery, type ArtifactVersion } from '@symphony/types/core';

/*
 * Secondary indexes: one LMDB key per (facet, value, createdAt, name, version), empty values.
 * Keys sort by time inside each facet value, so `find({ kind, since })` is one range scan.
 *   ['t', createdAt, name, version]                 every version, by time
 *   ['k', kind, createdAt, name, version]
 *   ['g', tag, createdAt, name, version]
 *   ['r', runId, createdAt, name, version]          producer run
 *   ['x', extensionId, createdAt, name, version]    producer extension
 * Lineage: ['o', version, name, consumer version, consumer name] (the consumers of a version;
 * version first for the same reason as the version records' keys: a batch of many names at the
 * same version writes neighbouring keys, not one B-tree page each). A version's inputs are in its
 * own record, so they need no key. Ledgers written before hold ['o', name, version, consumer
 * name, consumer version] and ['i', consumer name, consumer version, name, version] keys: they
 * are still read, and removed with their version (`lineageKeys(info, true)`).
 */

export const MAX_TIME = Number.MAX_SAFE_INTEGER;

export function indexKeys(info: ArtifactVersion): Key[] {
  const { createdAt: at, name, version } = info;
  const keys: Key[] = [['t', at, name, version]];
  if (info.kind !== undefined) keys.push(['k', info.kind, at, name, version]);
  const tags = info.tags.length > 1 ? new Set(info.tags) : info.tags;
  for (const tag of tags) keys.push(['g', tag, at, name, version]);
  if (info.producer?.runId !== undefined) keys.push(['r', info.producer.runId, at, name, version]);
  if (info.producer?.extensionId !== undefined) keys.push(['x', info.producer.extensionId, at, name, version]);
  return keys;
}

/** The lineage keys of a version (with `withLegacy`, also those older ledgers wrote for it). */
export function lineageKeys(info: ArtifactVersion, withLegacy = false): Key[] {
  const keys: Key[] = [];
  for (const input of info.inputs) {
    keys.push(['o', input.version, input.name, info.version, info.name]);
    if (withLegacy) keys.push(['o', input.name, input.version, info.name, info.version], ['i', info.name, info.version, input.name, input.version]);
  }
  return keys;
}

export interface FindPlan {
  db: 'index' | 'versions';
  start: Key;
  end: Key;
  /** Position of the name in the key (the version follows it). */
  nameAt: number;
  /** The predicates the range itself does not enforce. */
  matches(info: ArtifactVersion): boolean;
}

/**
 * Picks the most selective facet the query names (producer run, extension, tag, kind, then
 * time alone) and scans its range between `since` and `until`; the other predicates filter the
 * (already narrowed) hits. A query with only `namePrefix` scans the version records by name.
 */
export function planFind(query: ArtifactQuery): FindPlan {
  const since = query.since ?? 0;
  const until = query.until ?? MAX_TIME;
  if (!(since >= 0) || !(until >= since)) {
    throw new SymphonyError('E_INPUT_INVALID', `find: "since" (${since}) and "until" (${until}) must satisfy 0 <= since <= until`, {
      details: { since, until },
    });
  }
  const producer = query.producer;
  let facet: Key[];
  if (producer?.runId !== undefined) facet = ['r', producer.runId];
  else if (producer?.extensionId !== undefined) facet = ['x', producer.extensionId];
  else if (query.tag !== undefined) facet = ['g', query.tag];
  else if (query.kind !== undefined) facet = ['k', query.kind];
  else if (query.namePrefix !== undefined && query.since === undefined && query.until === undefined) {
    const prefix = query.namePrefix;
    const byName: FindPlan = {
      db: 'versions',
      start: [prefix],
      end: [`${prefix}\uffff`],
      nameAt: 0,
      matches: (info) => info.name.startsWith(prefix),
    };
    return query.reverse ? { ...byName, start: byName.end, end: byName.start } : byName;
  } else facet = ['t'];
  const matches = (info: ArtifactVersion): boolean =>
    (query.kind === undefined || info.kind === query.kind) &&
    (query.tag === undefined || info.tags.includes(query.tag)) &&
    (query.namePrefix === undefined || info.name.startsWith(query.namePrefix)) &&
    (producer?.runId === undefined || info.producer?.runId === producer.runId) &&
    (producer?.stepId === undefined || info.producer?.stepId === producer.stepId) &&
    (producer?.extensionId === undefined || info.producer?.extensionId === producer.extensionId) &&
    info.createdAt >= since &&
    info.createdAt < until;
  const low: Key = [...facet, since];
  const high: Key = [...facet, until];
  return query.reverse
    ? { db: 'index', start: high, end: low, nameAt: facet.length + 1, matches }
    : { db: 'index', start: low, end: high, nameAt: facet.length + 1, matches };
}
