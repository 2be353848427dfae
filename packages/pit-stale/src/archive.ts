import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SymphonyError } from '@symphony/types';
import { sha256 } from './canonical.js';
import type { ArchiveManifest, ArchiveTarget } from './types.js';

/** Archives as files in a directory: `<id>.ndjson.gz` and `<id>.manifest.json`. */
export function createDirectoryTarget(dir: string): ArchiveTarget {
  const root = resolve(dir);
  const safe = (file: string): string => {
    if (!/^[A-Za-z0-9._-]+$/.test(file)) throw new SymphonyError('E_INPUT_INVALID', `archive file name "${file}" is not a plain file name`, { details: { file } });
    return join(root, file);
  };
  return {
    name: `dir:${root}`,
    async put(file, data) {
      await mkdir(root, { recursive: true });
      // Write then rename: a crash never leaves a half-written archive under its final name.
      const tmp = `${safe(file)}.${process.pid}.tmp`;
      await writeFile(tmp, data);
      await rename(tmp, safe(file));
    },
    async get(file) {
      try {
        return await readFile(safe(file));
      } catch (cause) {
        throw new SymphonyError('E_NOT_FOUND', `archive file ${file} is not in ${root}`, { details: { file, target: root }, cause });
      }
    },
    async list() {
      try {
        return (await readdir(root)).filter((f) => !f.endsWith('.tmp')).sort();
      } catch {
        return [];
      }
    },
  };
}

export interface ArchiveEntry {
  id: string;
  questType: string;
  at: number;
  /** The stored record bytes (canonical JSON, no raw newline in it). */
  bytes: Uint8Array;
}

/** Writes gzip'd NDJSON of the stored bytes plus a manifest with checksums (file and per record). */
export async function writeArchive(target: ArchiveTarget, id: string, entries: ArchiveEntry[], createdAt: number): Promise<ArchiveManifest> {
  const newline = Buffer.from('\n');
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(Buffer.from(e.bytes), newline);
  const ndjson = Buffer.concat(parts);
  const gz = gzipSync(ndjson);
  const file = `${id}.ndjson.gz`;
  const manifest: ArchiveManifest = {
    id, createdAt, file, count: entries.length, sha256: sha256(gz), bytes: gz.length, uncompressedBytes: ndjson.length,
    records: entries.map((e) => ({ id: e.id, questType: e.questType, at: e.at, sha256: sha256(e.bytes), bytes: e.bytes.length })),
  };
  await target.put(file, gz);
  // The manifest goes last: an archive without one is incomplete and never restored from.
  await target.put(`${id}.manifest.json`, Buffer.from(JSON.stringify(manifest, null, 1)));
  return manifest;
}

/** Reads and verifies an archive: the file checksum, then every record's. */
export async function readArchive(target: ArchiveTarget, id: string): Promise<{ manifest: ArchiveManifest; records: Uint8Array[] }> {
  const manifest = JSON.parse(Buffer.from(await target.get(`${id}.manifest.json`)).toString('utf8')) as ArchiveManifest;
  const gz = await target.get(manifest.file);
  const corrupt = (why: string, details: Record<string, unknown> = {}): SymphonyError =>
    new SymphonyError('E_ARCHIVE_CORRUPT', `archive ${id} in ${target.name} is corrupt: ${why}`, { details: { archiveId: id, file: manifest.file, ...details } });
  if (sha256(gz) !== manifest.sha256) throw corrupt('the file checksum does not match the manifest');
  let ndjson: Buffer;
  try {
    ndjson = gunzipSync(gz);
  } catch (cause) {
    throw corrupt(`gunzip failed: ${(cause as Error).message}`);
  }
  const records: Uint8Array[] = [];
  for (let start = 0; start < ndjson.length; ) {
    const end = ndjson.indexOf(0x0a, start);
    const stop = end < 0 ? ndjson.length : end;
    records.push(ndjson.subarray(start, stop));
    start = stop + 1;
  }
  if (records.length !== manifest.count) throw corrupt(`${records.length} records, manifest says ${manifest.count}`);
  records.forEach((bytes, i) => {
    if (sha256(bytes) !== manifest.records[i]?.sha256) throw corrupt(`record ${i} (${manifest.records[i]?.id}) checksum mismatch`, { recordId: manifest.records[i]?.id });
  });
  return { manifest, records };
}
