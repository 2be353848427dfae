import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SymphonyError } from '@symphony/types';

/** Inputs and outputs up to this many bytes of JSON travel inside the job (default 64 KiB). */
export const DEFAULT_INLINE_LIMIT = 64 * 1024;
/** Large values move through Redis in chunks of this size: the most a stream holds in memory at once. */
export const CHUNK_BYTES = 256 * 1024;
/** The largest blob accepted (default 256 MiB): above it a dispatch is refused with `E_JOB_INVALID`. */
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;

/** A content address: sha-256 of the bytes and their length. */
export interface BlobRef {
  sha256: string;
  size: number;
}

const key = (prefix: string, sha: string) => `${prefix}:blob:${sha}`;

/**
 * Writes a stream of bytes to Redis in chunks of `CHUNK_BYTES` under a temporary key, hashing as
 * it goes, then renames it to its content address (kept `ttlSeconds`). Memory: one chunk.
 */
export async function putBlob(redis: Redis, prefix: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: { ttlSeconds: number; maxBytes?: number }): Promise<BlobRef> {
  const max = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const tmp = `${prefix}:blob-tmp:${randomUUID()}`;
  const hash = createHash('sha256');
  let size = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (all: boolean) => {
    while (pendingBytes >= CHUNK_BYTES || (all && pendingBytes > 0)) {
      const joined = Buffer.concat(pending);
      const chunk = joined.subarray(0, Math.min(CHUNK_BYTES, joined.length));
      const rest = joined.subarray(chunk.length);
      await redis.rpush(tmp, chunk);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
    }
  };
  try {
    await redis.expire(tmp, options.ttlSeconds).catch(() => 0);
    for await (const part of source) {
      const buf = Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      size += buf.length;
      if (size > max) throw new SymphonyError('E_JOB_INVALID', `scale-out: a value of more than ${max} bytes cannot travel with a job (the limit is maxBlobBytes)`, { details: { maxBytes: max } });
      hash.update(buf);
      pending.push(buf);
      pendingBytes += buf.length;
      await flush(false);
    }
    await flush(true);
    const sha256 = hash.digest('hex');
    if (size === 0) {
      await redis.set(key(prefix, sha256) + ':empty', '1', 'EX', options.ttlSeconds);
      return { sha256, size };
    }
    // Same content, same address: a second writer's copy replaces the first (identical bytes).
    await redis.multi().rename(tmp, key(prefix, sha256)).expire(key(prefix, sha256), options.ttlSeconds).exec();
    return { sha256, size };
  } finally {
    await redis.del(tmp).catch(() => 0);
  }
}

/**
 * Reads a blob chunk by chunk, hashing as it goes; the last chunk is yielded only after the
 * sha-256 and size match (`E_ARTIFACT_CORRUPT` otherwise). Memory: one chunk.
 */
export async function* streamBlob(redis: Redis, prefix: string, ref: BlobRef, options: { maxBytes?: number } = {}): AsyncGenerator<Buffer> {
  const max = options.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  if (ref.size > max) throw new SymphonyError('E_JOB_INVALID', `scale-out: blob ${ref.sha256} has ${ref.size} bytes, above the limit of ${max}`, { details: { ...ref, maxBytes: max } });
  if (ref.size === 0) return;
  const k = key(prefix, ref.sha256);
  const count = await redis.llen(k);
  if (count === 0) throw new SymphonyError('E_NOT_FOUND', `scale-out: blob ${ref.sha256} is not in Redis (expired or never written)`, { details: { ...ref } });
  const hash = createHash('sha256');
  let size = 0;
  let held: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const chunk = await redis.lindexBuffer(k, i);
    if (!chunk) throw new SymphonyError('E_ARTIFACT_CORRUPT', `scale-out: blob ${ref.sha256} lost chunk ${i} of ${count}`, { details: { ...ref, chunk: i } });
    size += chunk.length;
    if (size > ref.size) break;
    hash.update(chunk);
    if (held) yield held;
    held = chunk;
  }
  const got = hash.digest('hex');
  if (size !== ref.size || got !== ref.sha256) {
    throw new SymphonyError('E_ARTIFACT_CORRUPT', `scale-out: blob ${ref.sha256} arrived with sha-256 ${got} and ${size} bytes (expected ${ref.size})`, { details: { ...ref, got, gotSize: size } });
  }
  if (held) yield held;
}

/** A JSON value as a blob (the value itself is in memory on both sides; its transfer is chunked). */
export async function putValue(redis: Redis, prefix: string, json: string, options: { ttlSeconds: number; maxBytes?: number }): Promise<BlobRef> {
  const bytes = Buffer.from(json);
  function* chunks() {
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
  }
  return putBlob(redis, prefix, chunks(), options);
}

export async function getValue(redis: Redis, prefix: string, ref: BlobRef, options: { maxBytes?: number } = {}): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const chunk of streamBlob(redis, prefix, ref, options)) parts.push(chunk);
  return JSON.parse(Buffer.concat(parts).toString('utf8'));
}

export function isBlobRef(v: unknown): v is BlobRef {
  return !!v && typeof v === 'object' && typeof (v as BlobRef).sha256 === 'string' && /^[0-9a-f]{64}$/.test((v as BlobRef).sha256) && Number.isSafeInteger((v as BlobRef).size) && (v as BlobRef).size >= 0;
}
