import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types';
import { isBlobRef, type BlobRef } from './blobs.js';

/** The default key prefix in Redis (BullMQ's `prefix`). */
export const DEFAULT_PREFIX = 'symphony';

/** The queue of one extension: `ext.<extension-id>` (BullMQ queue names may not contain `:`). */
export function queueName(extensionId: string): string {
  return `ext.${extensionId.replace(/[^A-Za-z0-9._@/-]/g, '_')}`;
}

const part = (s: string) => s.replace(/%/g, '%25').replace(/:/g, '%3A');

/** `<runId>:<stepId>:<attempt>`, `:` and `%` escaped inside the parts: the same step attempt is the same job. */
export function jobIdFor(runId: string, stepId: string, attempt: number): string {
  return `${part(runId)}:${part(stepId)}:${attempt}`;
}

/** What the coordinator signs into each job. */
export interface JobEnvelope {
  v: 1;
  jobId: string;
  runId: string;
  stepId: string;
  attempt: number;
  /** `<extension-id>/<method>`. */
  uses: string;
  input?: unknown;
  /** A large input, by content address in Redis. */
  inputRef?: BlobRef;
  timeoutMs?: number;
  issuedAt: number;
}

/** What the worker signs into each result. */
export interface ResultEnvelope {
  v: 1;
  jobId: string;
  ok: boolean;
  output?: unknown;
  outputRef?: BlobRef;
  error?: SymphonyErrorJSON;
  worker: string;
  /** Milliseconds the job waited in its queue, and ran. */
  waitMs: number;
  runMs: number;
}

const bad = (message: string, details: Record<string, unknown> = {}) => new SymphonyError('E_JOB_INVALID', `scale-out: ${message}`, { details });

/** Checks a parsed job envelope's shape (`E_JOB_INVALID`). */
export function checkJob(value: unknown, jobId: string | undefined): JobEnvelope {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad('the job body is not an object', { jobId });
  const e = value as Record<string, unknown>;
  if (e.v !== 1) throw bad(`unknown job format version ${JSON.stringify(e.v)}`, { jobId });
  if (typeof e.jobId !== 'string' || e.jobId !== jobId) throw bad(`the signed job id ${JSON.stringify(e.jobId)} is not the job's id ${JSON.stringify(jobId)}`, { jobId });
  for (const k of ['runId', 'stepId', 'uses'] as const) if (typeof e[k] !== 'string' || (e[k] as string).length === 0) throw bad(`"${k}" must be a non-empty string`, { jobId });
  if (!/^[^/\s]+\/[^/\s]+$/.test(e.uses as string)) throw bad(`"uses" must be "<extension-id>/<method>", not ${JSON.stringify(e.uses)}`, { jobId });
  if (!Number.isSafeInteger(e.attempt) || (e.attempt as number) < 0) throw bad('"attempt" must be a non-negative integer', { jobId });
  if (e.timeoutMs !== undefined && (!Number.isFinite(e.timeoutMs) || (e.timeoutMs as number) <= 0)) throw bad('"timeoutMs" must be a positive number', { jobId });
  if (e.inputRef !== undefined && !isBlobRef(e.inputRef)) throw bad('"inputRef" is not a content address', { jobId });
  if (typeof e.issuedAt !== 'number') throw bad('"issuedAt" must be a number', { jobId });
  return e as unknown as JobEnvelope;
}

export function checkResult(value: unknown, jobId: string): ResultEnvelope {
  if (!value || typeof value !== 'object') throw bad('the result body is not an object', { jobId });
  const r = value as Record<string, unknown>;
  if (r.v !== 1 || r.jobId !== jobId || typeof r.ok !== 'boolean') throw bad(`the result is not the result of job ${jobId}`, { jobId });
  if (r.outputRef !== undefined && !isBlobRef(r.outputRef)) throw bad('"outputRef" is not a content address', { jobId });
  return r as unknown as ResultEnvelope;
}

/** Encodes a coded error into a BullMQ failure reason (a string), and back. */
export function reasonOf(err: SymphonyError): string {
  return JSON.stringify(err.toJSON());
}

export function errorFromReason(reason: string | undefined, jobId: string): SymphonyError {
  if (reason?.startsWith('{')) {
    try {
      const j = JSON.parse(reason) as SymphonyErrorJSON;
      if (typeof j.code === 'string' && j.code.startsWith('E_')) return SymphonyError.fromJSON(j);
    } catch {
      // not ours: fall through
    }
  }
  return new SymphonyError('E_EXTENSION_FAILED', `scale-out: job ${jobId} failed on its worker: ${reason ?? 'no reason given'}`, { details: { jobId, reason } });
}
