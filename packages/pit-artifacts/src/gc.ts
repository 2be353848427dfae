import type { GcReport } from '@symphony/types/core';
import type { BlobStore } from './blobs.js';

const BATCH = 500;

/**
 * Removes blobs no version references, then chunks no blob references, both only when older
 * than `graceMs` (a streaming writer's chunks are unreferenced until its final commit). Safe
 * against concurrent writers because every decision is re-checked inside the write transaction
 * that deletes: LMDB has one writer, so a put that re-references a blob either commits before
 * (and the re-check sees refs > 0) or after (and re-creates the blob from its own bytes).
 * Candidates are collected with short, fully consumed reads; no read transaction spans an await.
 */
export async function collectGarbage(blobs: BlobStore, now: () => number, graceMs: number): Promise<GcReport> {
  const report: GcReport = { blobsRemoved: 0, chunksRemoved: 0, bytesFreed: 0 };
  const cutoff = now() - graceMs;
  let start: string | undefined;
  for (;;) {
    const candidates: string[] = [];
    let last: string | undefined;
    for (const { key, value } of blobs.blobs.getRange(start === undefined ? { limit: BATCH * 4 } : { start, limit: BATCH * 4 })) {
      last = key;
      if (key === start) continue;
      if (value.refs <= 0 && value.at <= cutoff) candidates.push(key);
      if (candidates.length >= BATCH) break;
    }
    if (candidates.length > 0) {
      await blobs.ledger.transaction(() => {
        for (const hash of candidates) {
          const record = blobs.blobs.get(hash);
          if (!record || record.refs > 0 || record.at > cutoff) continue;
          for (const chunk of record.chunks ?? []) {
            const ref = blobs.chunkRefs.get(chunk);
            if (ref) blobs.chunkRefs.putSync(chunk, { refs: Math.max(0, ref.refs - 1), at: ref.at });
          }
          blobs.blobs.removeSync(hash);
          report.blobsRemoved++;
          if (record.data) report.bytesFreed += record.size;
        }
      });
    }
    if (last === undefined || last === start) break;
    start = last;
  }
  // A chunk is never younger than the blobs made from it, so chunks freed above pass the grace too.
  start = undefined;
  for (;;) {
    const candidates: string[] = [];
    let last: string | undefined;
    for (const { key, value } of blobs.chunkRefs.getRange(start === undefined ? { limit: BATCH * 4 } : { start, limit: BATCH * 4 })) {
      last = key;
      if (key === start) continue;
      if (value.refs <= 0) candidates.push(key);
      if (candidates.length >= BATCH) break;
    }
    if (candidates.length > 0) {
      await blobs.ledger.transaction(() => {
        for (const hash of candidates) {
          const ref = blobs.chunkRefs.get(hash);
          // An orphan from a stream still being written is younger than the grace period.
          if (!ref || ref.refs > 0 || ref.at > cutoff) continue;
          const bytes = blobs.chunks.getBinary(hash);
          blobs.chunks.removeSync(hash);
          blobs.chunkRefs.removeSync(hash);
          report.chunksRemoved++;
          report.bytesFreed += bytes?.length ?? 0;
        }
      });
    }
    if (last === undefined || last === start) break;
    start = last;
  }
  return report;
}

