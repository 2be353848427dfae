import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';
import { SymphonyError } from '@symphony/types/core';
import type { LmdbLedger } from './ledger.js';

/**
 * Content-addressed blobs (sha-256, hex). A blob up to `chunkSize` is stored inline in its
 * record; a larger one is a list of content-addressed chunks, so it can be written and read as
 * a stream and identical chunks are stored once. Records count their references (versions for
 * blobs, blobs for chunks); `gc` removes what nothing references.
 */
export interface BlobRecord {
  size: number;
  refs: number;
  /** When the record was created (ms); gc spares younger unreferenced records. */
  at: number;
  data?: Uint8Array;
  chunks?: string[];
}

export interface ChunkRef {
  refs: number;
  at: number;
}

/** One-shot `crypto.hash` where Node has it (3x faster than a Hash object for small payloads). */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'hex') => string }).hash;

export function sha256(data: Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

export class BlobStore {
  readonly blobs: Database<BlobRecord, string>;
  readonly chunks: Database<Uint8Array, string>;
  readonly chunkRefs: Database<ChunkRef, string>;
  /** Verified small blobs by hash: immutable, so never stale. Bounded by `cacheBytes`. */
  private readonly cache = new Map<string, Uint8Array>();
  private cachedBytes = 0;

  constructor(
    readonly ledger: LmdbLedger,
    readonly chunkSize: number,
    private readonly cacheBytes: number,
  ) {
    this.blobs = ledger.db('artifacts.blobs') as Database<BlobRecord, string>;
    this.chunks = ledger.db('artifacts.chunks', { encoding: 'binary' }) as Database<Uint8Array, string>;
    this.chunkRefs = ledger.db('artifacts.chunkrefs') as Database<ChunkRef, string>;
  }

  /** Inside a transaction: stores a chunk if new (unreferenced until a blob claims it). */
  writeChunk(hash: string, bytes: Uint8Array, now: number): void {
    if (this.chunkRefs.get(hash)) return;
    this.chunks.putSync(hash, bytes);
    this.chunkRefs.putSync(hash, { refs: 0, at: now });
  }

  /**
   * Inside a transaction: adds one reference to the blob `hash`, creating it from `data` (whole
   * bytes) or from already written `chunkHashes`. Returns the blob's size.
   */
  addRef(hash: string, now: number, source: { data: Uint8Array } | { chunks: string[]; size: number }): void {
    const existing = this.blobs.get(hash);
    if (existing) {
      this.blobs.putSync(hash, { ...existing, refs: existing.refs + 1 });
      return;
    }
    if ('data' in source && source.data.length <= this.chunkSize) {
      this.blobs.putSync(hash, { size: source.data.length, refs: 1, at: now, data: source.data });
      return;
    }
    let chunkHashes: string[];
    let size: number;
    if ('data' in source) {
      chunkHashes = [];
      size = source.data.length;
      for (let offset = 0; offset < size; offset += this.chunkSize) {
        const bytes = source.data.subarray(offset, Math.min(size, offset + this.chunkSize));
        const chunkHash = sha256(bytes);
        this.writeChunk(chunkHash, bytes, now);
        chunkHashes.push(chunkHash);
      }
    } else {
      chunkHashes = source.chunks;
      size = source.size;
    }
    for (const chunkHash of chunkHashes) {
      const ref = this.chunkRefs.get(chunkHash);
      if (!ref) {
        // Only possible if gc removed an orphan chunk of a slow stream: the caller retries.
        throw new SymphonyError('E_CONFLICT', `chunk ${chunkHash} of blob ${hash} vanished before its blob was recorded`, {
          details: { hash, chunk: chunkHash },
        });
      }
      this.chunkRefs.putSync(chunkHash, { refs: ref.refs + 1, at: ref.at });
    }
    this.blobs.putSync(hash, { size, refs: 1, at: now, chunks: chunkHashes });
  }

  /** Inside a transaction: drops one reference (the record stays for gc to collect). */
  dropRef(hash: string): void {
    const existing = this.blobs.get(hash);
    if (existing) this.blobs.putSync(hash, { ...existing, refs: Math.max(0, existing.refs - 1) });
  }

  /** The whole blob, verified. Throws `E_ARTIFACT_CORRUPT` on a hash mismatch or missing part. */
  read(hash: string, what: Record<string, unknown>): Uint8Array {
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const record = this.blobs.get(hash);
    if (!record) throw corrupt(hash, 'its blob is missing', what);
    let data: Uint8Array;
    if (record.data) {
      data = record.data;
    } else {
      data = new Uint8Array(record.size);
      let offset = 0;
      for (const chunkHash of record.chunks ?? []) {
        const bytes = this.readChunk(chunkHash, hash, what);
        if (offset + bytes.length > data.length) throw corrupt(hash, 'its chunks are longer than its size', what);
        data.set(bytes, offset);
        offset += bytes.length;
      }
      if (offset !== record.size) throw corrupt(hash, 'its chunks are shorter than its size', what);
    }
    if (sha256(data) !== hash) throw corrupt(hash, 'its bytes do not match the hash', what);
    if (data.length <= this.chunkSize) this.remember(hash, data);
    return data;
  }

  /** The blob as verified chunks, one short read per chunk (no read transaction held across awaits). */
  async *stream(hash: string, what: Record<string, unknown>): AsyncGenerator<Uint8Array> {
    const record = this.blobs.get(hash);
    if (!record) throw corrupt(hash, 'its blob is missing', what);
    if (record.data) {
      yield this.read(hash, what);
      return;
    }
    const whole = createHash('sha256');
    let size = 0;
    for (const chunkHash of record.chunks ?? []) {
      const bytes = this.readChunk(chunkHash, hash, what);
      whole.update(bytes);
      size += bytes.length;
      yield bytes;
    }
    if (size !== record.size || whole.digest('hex') !== hash) throw corrupt(hash, 'its chunks do not add up to its hash', what);
  }

  size(hash: string): number | undefined {
    return this.blobs.get(hash)?.size;
  }

  private readChunk(chunkHash: string, hash: string, what: Record<string, unknown>): Uint8Array {
    const bytes = this.chunks.getBinary(chunkHash);
    if (!bytes) throw corrupt(hash, `its chunk ${chunkHash} is missing`, what);
    if (sha256(bytes) !== chunkHash) throw corrupt(hash, `its chunk ${chunkHash} does not match its hash`, what);
    return bytes;
  }

  private remember(hash: string, data: Uint8Array): void {
    this.cache.set(hash, data);
    this.cachedBytes += data.length;
    // Evict oldest first (Map keeps insertion order) until back under budget.
    for (const [key, value] of this.cache) {
      if (this.cachedBytes <= this.cacheBytes) break;
      this.cache.delete(key);
      this.cachedBytes -= value.length;
    }
  }
}

function corrupt(hash: string, why: string, what: Record<string, unknown>): SymphonyError {
  return new SymphonyError('E_ARTIFACT_CORRUPT', `artifact ${describe(what)} is corrupt: ${why} (sha-256 ${hash})`, {
    details: { ...what, hash },
  });
}

function describe(what: Record<string, unknown>): string {
  return what.name === undefined ? '(blob)' : `"${String(what.name)}"@${String(what.version)}`;
}
