import { createHash } from 'node:crypto';
import { SymphonyError } from '@symphony/types/core';
import { sha256, type BlobStore } from './blobs.js';

export interface WrittenBlob {
  hash: string;
  size: number;
  chunks: string[];
  /** The bytes, when the whole stream fit in one chunk (stored inline like a small put). */
  inline?: Uint8Array;
}

/** Chunks committed at most this many at a time: memory stays at a few chunks, never the whole blob. */
const IN_FLIGHT = 4;

/**
 * Cuts a byte stream into `chunkSize` chunks, commits each (content-addressed) in its own short
 * transaction, and hashes the whole on the way. The chunks stay unreferenced until the caller
 * records the blob; gc spares them for its grace period.
 */
export async function writeChunks(blobs: BlobStore, source: AsyncIterable<Uint8Array>, now: () => number, name: string): Promise<WrittenBlob> {
  const chunkSize = blobs.chunkSize;
  const whole = createHash('sha256');
  const chunks: string[] = [];
  const inFlight: Promise<void>[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let size = 0;
  let first: Uint8Array | undefined;
  const flush = async (bytes: Uint8Array): Promise<void> => {
    const hash = sha256(bytes);
    chunks.push(hash);
    if (chunks.length === 1) first = bytes;
    const at = now();
    inFlight.push(blobs.ledger.transaction(() => blobs.writeChunk(hash, bytes, at)));
    if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
  };
  try {
    for await (const piece of source) {
      if (!(piece instanceof Uint8Array)) {
        throw new SymphonyError('E_INPUT_INVALID', `artifact "${name}": a stream must yield Uint8Array chunks`, { details: { name } });
      }
      whole.update(piece);
      size += piece.length;
      pending.push(piece);
      pendingBytes += piece.length;
      while (pendingBytes >= chunkSize) {
        const joined = concat(pending, pendingBytes);
        await flush(joined.subarray(0, chunkSize));
        const rest = joined.subarray(chunkSize);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
      }
    }
    if (pendingBytes > 0 || chunks.length === 0) await flush(concat(pending, pendingBytes));
  } finally {
    // Settle what was sent, also on failure: no write outlives the call (orphans await gc).
    await Promise.allSettled(inFlight);
  }
  await Promise.all(inFlight);
  const blob: WrittenBlob = { hash: whole.digest('hex'), size, chunks };
  if (chunks.length === 1 && first) blob.inline = first;
  return blob;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
