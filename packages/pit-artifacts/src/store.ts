import type { Database, Key } from 'lmdb';
import {
  SymphonyError,
  type Artifact,
  type ArtifactData,
  type ArtifactMeta,
  type ArtifactQuery,
  type ArtifactRef,
  type ArtifactSelector,
  type ArtifactVersion,
  type ArtifactsService,
  type GcReport,
  type Producer,
} from '@symphony/types/core';
import { BlobStore, sha256 } from './blobs.js';
import { BYTES_TYPE, decodeData, encodeData } from './codec.js';
import { collectGarbage } from './gc.js';
import { planFind, indexKeys, lineageKeys, MAX_TIME } from './indexes.js';
import { writeChunks } from './stream-writer.js';
import { abortCount, type LmdbLedger } from './ledger.js';
import { checkAlias, checkName, checkTag, checkVersion } from './names.js';
import { combineScores, defaultScorers, runScorers, type SchemaCheck, type Scorer } from './scoring.js';

/** LMDB's largest key: no artifact is stored under a longer name. */
const MAX_KEY_BYTES = 1978;

export interface ArtifactStoreOptions {
  /** Blobs above this are chunked; also the largest blob kept in the read cache. Default 256 KiB. */
  chunkSize?: number;
  /** Byte budget of the verified-blob read cache. Default 32 MiB. */
  cacheBytes?: number;
  /**
   * Payloads up to this size are kept inside their version record (still addressed and verified
   * by their sha-256) instead of a shared blob record: one B-tree write per put instead of a
   * read-modify-write of a random-keyed blob page, at the price of no de-duplication for them.
   * 0 stores every payload as a blob. Default 1 KiB.
   */
  inlineBytes?: number;
  /** Replaces the default scorers (schema, producer history, consumer feedback). */
  scorers?: Scorer[];
  /** Payload checks by artifact kind, for the default schema scorer. */
  schemas?: Record<string, SchemaCheck>;
  /** `get` refuses to assemble blobs larger than this in memory (use `stream`). Default 64 MiB. */
  maxGetBytes?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Head {
  /** Highest version ever assigned: numbers are never reused. */
  last: number;
  /** Highest version that still exists (0 when all were removed). */
  latest: number;
}

interface Cached {
  info: ArtifactVersion;
  ref: ArtifactRef;
  /** An inline payload (see `inlineBytes`), and whether it has been checked against its hash. */
  inline?: Uint8Array;
  verified?: boolean;
}

/** A version record as stored: the public info plus, for small payloads, the bytes themselves. */
type StoredVersion = ArtifactVersion & { inline?: Uint8Array };

/** The public info of a stored record (its inline bytes are not part of it). */
function publicInfo(stored: StoredVersion): ArtifactVersion {
  if (stored.inline === undefined) return stored;
  const { inline: _inline, ...info } = stored;
  return info;
}

const EMPTY = new Uint8Array(0);
/**
 * Version records and heads are written as plain msgpack maps (no msgpackr records): a record
 * definition inline in every value cost more to pack and unpack than the map itself (these
 * databases have no shared structures). Values written earlier with inline records still decode.
 */
const PLAIN_MAPS = { useRecords: false } as const;
const VERSION_CACHE_ENTRIES = 10_000;

/** The artifact store over the shared ledger. Every sub-database is named `artifacts.*`. */
export class ArtifactStore implements ArtifactsService {
  readonly blobs: BlobStore;
  private readonly versionsDb: Database<StoredVersion, Key>;
  private readonly inlineBytes: number;
  private readonly heads: Database<Head, string>;
  private readonly aliasDb: Database<number, Key>;
  private readonly index: Database<Uint8Array, Key>;
  private readonly lineage: Database<Uint8Array, Key>;
  private readonly producers: Database<{ ok: number; failed: number }, string>;
  private readonly feedbackDb: Database<{ sum: number; count: number }, Key>;
  private readonly scorers: Scorer[];
  private readonly now: () => number;
  private readonly maxGetBytes: number;
  /** Version records by `name\0version`; dropped on feedback/remove, so never stale after a commit. */
  private readonly cache = new Map<string, Cached>();
  /**
   * Hash and size of the version records this store wrote last, by `name\0version`: a lineage
   * input found here and still present in the ledger (`doesExist`, no decode) is the record
   * written, since every write of a key updates its entry (a rolled-back one is absent).
   */
  private readonly written = new Map<string, { hash: string; size: number; aborts: number }>();

  constructor(
    readonly ledger: LmdbLedger,
    options: ArtifactStoreOptions = {},
  ) {
    this.blobs = new BlobStore(ledger, options.chunkSize ?? 256 * 1024, options.cacheBytes ?? 32 * 1024 * 1024);
    this.versionsDb = ledger.db('artifacts.versions', PLAIN_MAPS) as Database<StoredVersion, Key>;
    this.inlineBytes = Math.min(options.inlineBytes ?? 1024, options.chunkSize ?? 256 * 1024);
    this.heads = ledger.db('artifacts.heads', PLAIN_MAPS) as Database<Head, string>;
    this.aliasDb = ledger.db('artifacts.aliases') as Database<number, Key>;
    this.index = ledger.db('artifacts.index', { encoding: 'binary' }) as Database<Uint8Array, Key>;
    this.lineage = ledger.db('artifacts.lineage', { encoding: 'binary' }) as Database<Uint8Array, Key>;
    this.producers = ledger.db('artifacts.producers') as Database<{ ok: number; failed: number }, string>;
    this.feedbackDb = ledger.db('artifacts.feedback') as Database<{ sum: number; count: number }, Key>;
    this.scorers = options.scorers ?? defaultScorers(options.schemas);
    this.now = options.now ?? Date.now;
    this.maxGetBytes = options.maxGetBytes ?? 64 * 1024 * 1024;
  }

  // ---- writes -------------------------------------------------------------------------------

  put(name: string, data: ArtifactData, meta?: ArtifactMeta): Promise<ArtifactRef> {
    return this.ledger.transaction(() => this.writeInTransaction(name, data, meta));
  }

  putMany(items: ReadonlyArray<{ name: string; data: ArtifactData; meta?: ArtifactMeta }>): Promise<ArtifactRef[]> {
    return this.ledger.transaction(() => items.map((item) => this.writeInTransaction(item.name, item.data, item.meta)));
  }

  writeInTransaction(name: string, data: ArtifactData, meta: ArtifactMeta = {}): ArtifactRef {
    this.assertInTransaction('writeInTransaction');
    checkName(name);
    const { bytes, contentType } = encodeData(name, data);
    const hash = sha256(bytes);
    if (bytes.length <= this.inlineBytes) return this.record(name, hash, bytes.length, meta, meta.contentType ?? contentType, bytes, 'inline');
    return this.record(name, hash, bytes.length, meta, meta.contentType ?? contentType, bytes, () =>
      this.blobs.addRef(hash, this.now(), { data: bytes }),
    );
  }

  async putStream(name: string, source: AsyncIterable<Uint8Array>, meta: ArtifactMeta = {}): Promise<ArtifactRef> {
    checkName(name);
    this.checkMeta(meta);
    const blob = await writeChunks(this.blobs, source, this.now, name);
    const contentType = meta.contentType ?? BYTES_TYPE;
    return this.ledger.transaction(() =>
      this.record(name, blob.hash, blob.size, meta, contentType, blob.inline, () =>
        this.blobs.addRef(blob.hash, this.now(), blob.inline ? { data: blob.inline } : { chunks: blob.chunks, size: blob.size }),
      ),
    );
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    checkName(name);
    checkAlias(alias);
    checkVersion(name, version);
    await this.ledger.transaction(() => {
      if (!this.hasVersion(name, version)) throw notFound(name, version);
      this.aliasDb.putSync([name, alias], version);
    });
  }

  async removeAlias(name: string, alias: string): Promise<void> {
    checkAlias(alias);
    await this.ledger.transaction(() => {
      this.aliasDb.removeSync([name, alias]);
    });
  }

  async feedback(ref: Pick<ArtifactRef, 'name' | 'version'>, value: number): Promise<number> {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new SymphonyError('E_INPUT_INVALID', `feedback for "${ref.name}"@${ref.version} must be a number in [0, 1], got ${String(value)}`, {
        details: { name: ref.name, version: ref.version, value },
      });
    }
    const key = cacheKey(ref.name, ref.version);
    const score = await this.ledger.transaction(() => {
      const found = this.locate(ref.name, ref.version);
      if (!found) throw notFound(ref.name, ref.version);
      const info = found.value;
      const previous = this.feedbackDb.get([ref.name, ref.version]) ?? { sum: 0, count: 0 };
      const feedback = { sum: previous.sum + value, count: previous.count + 1 };
      this.feedbackDb.putSync([ref.name, ref.version], feedback);
      const scores = { ...info.scores, feedback: feedback.sum / feedback.count };
      const next = { ...info, scores, score: combineScores(scores, this.scorers) };
      this.versionsDb.putSync(found.key, next);
      this.cache.delete(key);
      return next.score;
    });
    this.cache.delete(key); // a get between the write and the commit may have cached the old record
    return score;
  }

  async recordOutcome(producer: Producer, ok: boolean): Promise<void> {
    const key = producerKey(producer);
    if (!key) {
      throw new SymphonyError('E_INPUT_INVALID', 'recordOutcome needs a producer with an extensionId or a stepId', { details: { producer } });
    }
    await this.ledger.transaction(() => {
      const history = this.producers.get(key) ?? { ok: 0, failed: 0 };
      this.producers.putSync(key, ok ? { ...history, ok: history.ok + 1 } : { ...history, failed: history.failed + 1 });
    });
  }

  async remove(name: string, version: number, options: { force?: boolean } = {}): Promise<void> {
    checkName(name);
    checkVersion(name, version);
    await this.ledger.transaction(() => {
      const info = this.locate(name, version)?.value;
      if (!info) throw notFound(name, version);
      const pointing = [...this.aliasDb.getRange({ start: [name], end: [name, '\uffff'] })].filter((e) => e.value === version);
      if (pointing.length > 0 && !options.force) {
        const aliases = pointing.map((e) => (e.key as Key[])[1]);
        throw new SymphonyError('E_CONFLICT', `"${name}"@${version} is aliased as ${aliases.join(', ')}: move the aliases or pass { force: true }`, {
          details: { name, version, aliases },
        });
      }
      for (const entry of pointing) this.aliasDb.removeSync(entry.key);
      this.versionsDb.removeSync(versionKey(name, version));
      this.versionsDb.removeSync([name, version]);
      this.feedbackDb.removeSync([name, version]);
      for (const key of indexKeys(info)) this.index.removeSync(key);
      for (const key of lineageKeys(info, true)) this.lineage.removeSync(key);
      const head = this.heads.get(name);
      if (head && head.latest === version) {
        let previous = version - 1;
        while (previous > 0 && !this.hasVersion(name, previous)) previous--;
        this.heads.putSync(name, { last: head.last, latest: previous });
      }
      if (info.inline === undefined) this.blobs.dropRef(info.hash);
      this.cache.delete(cacheKey(name, version));
    });
    this.cache.delete(cacheKey(name, version));
  }

  gc(options: { graceMs?: number } = {}): Promise<GcReport> {
    return collectGarbage(this.blobs, this.now, options.graceMs ?? 60_000);
  }

  // ---- reads --------------------------------------------------------------------------------

  get(name: string, selector?: ArtifactSelector): Artifact | undefined {
    const entry = this.resolve(name, selector);
    if (!entry) return undefined;
    if (entry.info.size > this.maxGetBytes) {
      throw new SymphonyError('E_PAYLOAD_TOO_LARGE', `"${name}"@${entry.info.version} is ${entry.info.size} bytes: read it with stream()`, {
        details: { name, version: entry.info.version, size: entry.info.size, maxGetBytes: this.maxGetBytes },
      });
    }
    const data = entry.inline ? this.verifiedInline(entry) : this.blobs.read(entry.info.hash, { name, version: entry.info.version });
    // A copy: the cached bytes are shared and must not be changed by a caller.
    return { info: entry.info, ref: entry.ref, data: new Uint8Array(data) };
  }

  value(name: string, selector?: ArtifactSelector): unknown {
    const artifact = this.get(name, selector);
    return artifact === undefined ? undefined : decodeData(artifact.data, artifact.info.contentType);
  }

  stream(name: string, selector?: ArtifactSelector): AsyncIterable<Uint8Array> {
    const entry = this.resolve(name, selector);
    if (!entry) throw notFound(name, selector);
    if (entry.inline) {
      const bytes = new Uint8Array(this.verifiedInline(entry));
      return (async function* () {
        yield bytes;
      })();
    }
    return this.blobs.stream(entry.info.hash, { name, version: entry.info.version });
  }

  info(name: string, selector?: ArtifactSelector): ArtifactVersion | undefined {
    return this.resolve(name, selector)?.info;
  }

  versions(name: string): ArtifactVersion[] {
    return this.storedVersions(name).map(publicInfo);
  }

  names(prefix = '', limit = Infinity): string[] {
    const out: string[] = [];
    if (Buffer.byteLength(prefix) > MAX_KEY_BYTES) return out;
    for (const { key, value } of this.heads.getRange({ start: prefix, end: `${prefix}\uffff` })) {
      if (out.length >= limit) break;
      if (value.latest > 0) out.push(key);
    }
    return out;
  }

  find(query: ArtifactQuery): ArtifactVersion[] {
    const plan = planFind(query);
    const limit = query.limit ?? Infinity;
    const out: ArtifactVersion[] = [];
    if (plan.db === 'versions') {
      // By name: the names with the prefix (heads), each one's versions in order.
      const reverse = query.reverse ?? false;
      const low = query.namePrefix ?? '';
      const high = `${low}\uffff`;
      for (const { key } of this.heads.getRange(reverse ? { start: high, end: low, reverse } : { start: low, end: high })) {
        const versions = this.storedVersions(key as string);
        if (reverse) versions.reverse();
        for (const stored of versions) {
          if (out.length >= limit) return out;
          const info = publicInfo(stored);
          if (plan.matches(info)) out.push(info);
        }
      }
      return out;
    }
    for (const key of this.index.getKeys({ start: plan.start, end: plan.end, reverse: query.reverse ?? false })) {
      if (out.length >= limit) break;
      const parts = key as Key[];
      const name = parts[plan.nameAt] as string;
      const version = parts[plan.nameAt + 1] as number;
      const info = this.info(name, version);
      if (info && plan.matches(info)) out.push(info);
    }
    return out;
  }

  aliases(name: string): Record<string, number> {
    const out: Record<string, number> = {};
    const head = this.heads.get(name);
    if (head && head.latest > 0) out.latest = head.latest;
    for (const { key, value } of this.aliasDb.getRange({ start: [name], end: [name, '\uffff'] })) out[(key as Key[])[1] as string] = value;
    return out;
  }

  inputsOf(ref: Pick<ArtifactRef, 'name' | 'version'>): ArtifactRef[] {
    // From the version's own record, in key order (name, then version), each input once.
    const stored = this.info(ref.name, ref.version);
    if (!stored) return [];
    const inputs = [...stored.inputs].sort(byNameThenVersion);
    const out: ArtifactRef[] = [];
    for (const input of inputs) {
      const last = out[out.length - 1];
      if (last && last.name === input.name && last.version === input.version) continue;
      const info = this.info(input.name, input.version);
      out.push(info ? { name: input.name, version: input.version, hash: info.hash, size: info.size } : { name: input.name, version: input.version, hash: '' });
    }
    return out;
  }

  consumersOf(ref: Pick<ArtifactRef, 'name' | 'version'>): ArtifactRef[] {
    return this.lineageFrom('o', ref);
  }

  /** Producer history as recorded by `recordOutcome`. */
  history(producer: Producer): { ok: number; failed: number } | undefined {
    const key = producerKey(producer);
    return key ? this.producers.get(key) : undefined;
  }

  // ---- internals ----------------------------------------------------------------------------

  private record(
    name: string,
    hash: string,
    size: number,
    meta: ArtifactMeta,
    contentType: string,
    bytes: Uint8Array | undefined,
    storeBlob: (() => void) | 'inline',
  ): ArtifactRef {
    this.assertInTransaction('put');
    this.checkMeta(meta);
    // Lineage records the inputs as stored (their real hashes), and only ones that exist.
    const inputs: ArtifactRef[] = (meta.inputs ?? []).map((input) => {
      const key = cacheKey(input.name, input.version);
      const mine = this.written.get(key);
      // An entry made before any rollback may describe a write that never committed.
      const known = (mine && mine.aborts === abortCount(this.ledger) ? mine : undefined) ?? this.cache.get(key)?.info;
      const stored = known && this.hasVersion(input.name, input.version) ? known : this.locate(input.name, input.version)?.value;
      if (!stored) throw notFound(input.name, input.version);
      return { name: input.name, version: input.version, hash: stored.hash, size: stored.size };
    });
    if (storeBlob !== 'inline') storeBlob();
    const head = this.heads.get(name);
    const version = (head?.last ?? 0) + 1;
    const now = this.now();
    // Built once, as stored: with its inline payload last (not part of the public info).
    const info: StoredVersion = {
      name,
      version,
      hash,
      size,
      contentType,
      tags: meta.tags ?? [],
      inputs,
      createdAt: now,
      score: 0.5,
      scores: {},
    };
    if (meta.kind !== undefined) info.kind = meta.kind;
    if (meta.producer !== undefined) info.producer = meta.producer;
    if (meta.attributes !== undefined) info.attributes = meta.attributes;
    if (bytes) {
      let decoded: { value: unknown } | undefined;
      const history = meta.producer ? this.history(meta.producer) : undefined;
      info.scores = runScorers(
        {
          info,
          data: bytes,
          value: () => (decoded ??= { value: decodeData(bytes, contentType) }).value,
          declaredJson: meta.contentType !== undefined && contentType.startsWith('application/json'),
          ...(history ? { history } : {}),
        },
        this.scorers,
      );
      info.score = combineScores(info.scores, this.scorers);
    }
    if (storeBlob === 'inline' && bytes) info.inline = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.versionsDb.putSync(versionKey(name, version), info);
    if (this.written.size >= VERSION_CACHE_ENTRIES) this.written.clear();
    this.written.set(cacheKey(name, version), { hash, size, aborts: abortCount(this.ledger) });
    this.heads.putSync(name, { last: version, latest: version });
    for (const key of indexKeys(info)) this.index.putSync(key, EMPTY);
    for (const key of lineageKeys(info)) this.lineage.putSync(key, EMPTY);
    for (const alias of meta.aliases ?? []) this.aliasDb.putSync([name, alias], version);
    return { name, version, hash, size };
  }

  private checkMeta(meta: ArtifactMeta): void {
    if (meta.kind !== undefined) checkTag(meta.kind);
    meta.tags?.forEach(checkTag);
    meta.aliases?.forEach(checkAlias);
    for (const input of meta.inputs ?? []) {
      checkName(input.name);
      checkVersion(input.name, input.version);
    }
    if (meta.producer?.runId !== undefined) checkTag(meta.producer.runId);
    if (meta.producer?.extensionId !== undefined) checkTag(meta.producer.extensionId);
  }

  private resolve(name: string, selector: ArtifactSelector | undefined): Cached | undefined {
    // LMDB keys are at most 1978 bytes: a longer name names no artifact (and would make lmdb throw).
    if (Buffer.byteLength(name) > MAX_KEY_BYTES) return undefined;
    let version: number | undefined;
    if (typeof selector === 'number') version = selector;
    else if (selector === undefined || selector === 'latest') {
      const head = this.heads.get(name);
      version = head && head.latest > 0 ? head.latest : undefined;
    } else version = this.aliasDb.get([name, selector]);
    if (version === undefined) return undefined;
    const key = cacheKey(name, version);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const info = this.locate(name, version)?.value;
    if (!info) return undefined;
    const entry: Cached = { info: publicInfo(info), ref: { name, version, hash: info.hash, size: info.size } };
    if (info.inline !== undefined) entry.inline = info.inline;
    // Only committed state is cached: reads inside a transaction may see uncommitted writes.
    if (!this.ledger.inTransaction()) {
      if (this.cache.size >= VERSION_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, entry);
    }
    return entry;
  }

  /** An inline payload, checked against its sha-256 once per cached entry. */
  private verifiedInline(entry: Cached): Uint8Array {
    const bytes = entry.inline as Uint8Array;
    if (!entry.verified) {
      if (bytes.length !== entry.info.size || sha256(bytes) !== entry.info.hash) {
        throw new SymphonyError('E_ARTIFACT_CORRUPT', `artifact "${entry.info.name}"@${entry.info.version} is corrupt: its bytes do not match the hash (sha-256 ${entry.info.hash})`, {
          details: { name: entry.info.name, version: entry.info.version, hash: entry.info.hash },
        });
      }
      entry.verified = true;
    }
    return bytes;
  }

  private lineageFrom(direction: 'o', ref: Pick<ArtifactRef, 'name' | 'version'>): ArtifactRef[] {
    const found: Array<{ name: string; version: number }> = [];
    // This layout: [o, version, name, consumer version, consumer name]; older ledgers' keys are
    // [o, name, version, consumer name, consumer version].
    for (const key of this.lineage.getKeys({ start: [direction, ref.version, ref.name], end: [direction, ref.version, ref.name, '\uffff'] })) {
      const parts = key as Key[];
      found.push({ name: parts[4] as string, version: parts[3] as number });
    }
    for (const key of this.lineage.getKeys({ start: [direction, ref.name, ref.version], end: [direction, ref.name, ref.version, '\uffff'] })) {
      const parts = key as Key[];
      found.push({ name: parts[3] as string, version: parts[4] as number });
    }
    found.sort(byNameThenVersion);
    const out: ArtifactRef[] = [];
    for (const { name, version } of found) {
      const last = out[out.length - 1];
      if (last && last.name === name && last.version === version) continue;
      const info = this.info(name, version);
      out.push(info ? { name, version, hash: info.hash, size: info.size } : { name, version, hash: '' });
    }
    return out;
  }

  /**
   * The stored record of name@version and the key it is under: `[version, name]` (this layout:
   * the versions one batch writes, of many names at the same version, sit side by side in the
   * B-tree instead of one page each), else `[name, version]` (ledgers written before).
   */
  private locate(name: string, version: number): { key: Key; value: StoredVersion } | undefined {
    const key = versionKey(name, version);
    const value = this.readVersion(key, name, version);
    if (value !== undefined) return { key, value };
    const legacy: Key = [name, version];
    const old = this.readVersion(legacy, name, version);
    return old === undefined ? undefined : { key: legacy, value: old };
  }

  /** A version record, or `E_ARTIFACT_CORRUPT` if its bytes no longer decode to one. */
  private readVersion(key: Key, name: string, version: number): StoredVersion | undefined {
    let value: StoredVersion | undefined;
    try {
      value = this.versionsDb.get(key);
    } catch (cause) {
      throw damagedRecord(name, version, cause);
    }
    if (value !== undefined && (typeof value !== 'object' || value === null || typeof value.hash !== 'string' || !Array.isArray(value.inputs) || !Array.isArray(value.tags))) {
      throw damagedRecord(name, version);
    }
    return value;
  }

  private hasVersion(name: string, version: number): boolean {
    return this.versionsDb.doesExist(versionKey(name, version)) || this.versionsDb.doesExist([name, version]);
  }

  /** Every stored version of `name`, oldest first (up to its head's last version, plus older ledgers' range). */
  private storedVersions(name: string): StoredVersion[] {
    const out: StoredVersion[] = [];
    for (const key of this.versionsDb.getKeys({ start: [name, 0], end: [name, MAX_TIME] })) {
      const value = this.readVersion(key, name, (key as Key[])[1] as number);
      if (value !== undefined) out.push(value);
    }
    const last = this.heads.get(name)?.last ?? 0;
    for (let v = 1; v <= last; v++) {
      const value = this.readVersion(versionKey(name, v), name, v);
      if (value !== undefined) out.push(value);
    }
    if (out.length > 1) out.sort((a, b) => a.version - b.version);
    return out;
  }

  private assertInTransaction(what: string): void {
    if (!this.ledger.inTransaction()) {
      throw new SymphonyError('E_NOT_IN_TRANSACTION', `${what} must run inside ledger.transaction(() => ...)`, { details: { call: what } });
    }
  }
}

/** A version record's key: version first, so the versions one transaction writes are neighbours. */
function versionKey(name: string, version: number): Key {
  return [version, name];
}

function byNameThenVersion(a: { name: string; version: number }, b: { name: string; version: number }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version;
}

function cacheKey(name: string, version: number): string {
  return `${name}\u0000${version}`;
}

function producerKey(producer: Producer): string | undefined {
  if (producer.extensionId) return `ext:${producer.extensionId}`;
  if (producer.stepId) return `step:${producer.stepId}`;
  return undefined;
}

function damagedRecord(name: string, version: number, cause?: unknown): SymphonyError {
  return new SymphonyError('E_ARTIFACT_CORRUPT', `artifact "${name}"@${version} is corrupt: its version record cannot be read`, {
    details: { name, version },
    ...(cause === undefined ? {} : { cause }),
  });
}

function notFound(name: string, selector: ArtifactSelector | undefined): SymphonyError {
  return new SymphonyError('E_NOT_FOUND', `no artifact "${name}"${selector === undefined ? '' : ` @ ${String(selector)}`}`, {
    details: { name, selector },
  });
}
