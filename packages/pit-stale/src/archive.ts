import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SymphonyError } from '@symphony/types';
import { canonicalJson, sha256 } from './canonical.js';
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
  const body: Omit<ArchiveManifest, 'manifestSha256'> = {
    id, createdAt, file, count: entries.length, sha256: sha256(gz), bytes: gz.length, uncompressedBytes: ndjson.length,
    records: entries.map((e) => ({ id: e.id, questType: e.questType, at: e.at, sha256: sha256(e.bytes), bytes: e.bytes.length })),
  };
  const manifest: ArchiveManifest = { ...body, manifestSha256: manifestChecksum(body) };
  await target.put(file, gz);
  // The manifest goes last: an archive without one is incomplete and never restored from.
  await target.put(`${id}.manifest.json`, Buffer.from(JSON.stringify(manifest, null, 1)));
  return manifest;
}

/** sha-256 of the canonical JSON of a manifest without its own checksum. */
function manifestChecksum(manifest: Omit<ArchiveManifest, 'manifestSha256'>): string {
  return sha256(canonicalJson(manifest));
}

const HEX64 = /^[0-9a-f]{64}$/;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Why a parsed manifest is not one this archive could have written, or undefined. */
function manifestProblem(m: Record<string, unknown>, id: string): string | undefined {
  if (m.id !== id) return `it names archive ${JSON.stringify(m.id)}`;
  if (m.file !== `${id}.ndjson.gz`) return `its file is ${JSON.stringify(m.file)}, not ${id}.ndjson.gz`;
  if (!isCount(m.count) || !isCount(m.bytes) || !isCount(m.uncompressedBytes) || typeof m.createdAt !== 'number') return 'a count, size or date is missing or not a number';
  if (typeof m.sha256 !== 'string' || !HEX64.test(m.sha256)) return 'the file checksum is missing or malformed';
  if (!Array.isArray(m.records) || m.records.length !== m.count) return `it lists ${Array.isArray(m.records) ? m.records.length : 'no'} records for a count of ${String(m.count)}`;
  for (const [i, r] of (m.records as unknown[]).entries()) {
    const rec = r as Record<string, unknown> | null;
    if (typeof rec !== 'object' || rec === null || typeof rec.id !== 'string' || typeof rec.sha256 !== 'string' || !HEX64.test(rec.sha256) || !isCount(rec.bytes)) return `record ${i} is malformed`;
  }
  if (m.manifestSha256 !== undefined) {
    const { manifestSha256, ...body } = m;
    if (manifestSha256 !== manifestChecksum(body as Omit<ArchiveManifest, 'manifestSha256'>)) return 'its own checksum does not match its content';
  }
  return undefined;
}

/**
 * Reads and verifies an archive: the manifest (parsed, its shape, its own checksum, and the copy
 * the ledger kept when it was written, if given), the file checksum, then every record's. Any
 * mismatch, truncation or garbage is `E_ARCHIVE_CORRUPT`.
 */
export async function readArchive(target: ArchiveTarget, id: string, expected?: ArchiveManifest): Promise<{ manifest: ArchiveManifest; records: Uint8Array[] }> {
  const corrupt = (why: string, details: Record<string, unknown> = {}): SymphonyError =>
    new SymphonyError('E_ARCHIVE_CORRUPT', `archive ${id} in ${target.name} is corrupt: ${why}`, { details: { archiveId: id, file: `${id}.ndjson.gz`, ...details } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(await target.get(`${id}.manifest.json`)).toString('utf8'));
  } catch (cause) {
    if (cause instanceof SymphonyError) throw cause; // E_NOT_FOUND from the target
    throw corrupt(`the manifest is not JSON (truncated or overwritten): ${(cause as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw corrupt('the manifest is not an object');
  const problem = manifestProblem(parsed as Record<string, unknown>, id);
  if (problem) throw corrupt(`the manifest is invalid: ${problem}`);
  const manifest = parsed as ArchiveManifest;
  if (expected && (expected.sha256 !== manifest.sha256 || expected.count !== manifest.count || expected.file !== manifest.file)) {
    throw corrupt('the manifest differs from the one the ledger recorded when the archive was written');
  }
  const gz = await target.get(manifest.file);
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
