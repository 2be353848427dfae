import { z } from 'zod';

export const LoginBody = z.union([
  z.object({ token: z.string().min(1).max(200) }).strict(),
  // A one-time code from a local launcher (`server.loginCodes.issue`), instead of a token.
  z.object({ code: z.string().min(16).max(64) }).strict(),
]);
export const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();
/** `GET /runs`: a page of runs, newest first (`offset` skips the newest ones). */
export const RunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), offset: z.coerce.number().int().min(0).max(1e9).default(0) }).strict();
export const ArtifactsQuery = z
  .object({ prefix: z.string().max(512).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) })
  .strict();
export const AuditQuery = z
  .object({ extension: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) })
  .strict();
export const EventsQuery = z.object({ after: z.coerce.number().int().min(0).default(0) }).strict();
export const RunParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a run id') }).strict();
export const ExtensionParams = z.object({ id: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/, 'must be an extension id') }).strict();
/** Artifact names are keys in the store, never paths: no `..` segments, no NUL. */
export const ArtifactParams = z
  .object({
    name: z
      .string()
      .min(1)
      .max(512)
      .refine((n) => !n.split('/').includes('..') && !n.includes('\0'), 'must not contain ".." segments or NUL'),
    version: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
  })
  .strict();
/** `POST /runs`: a workflow document, or the name of a configured workflow (`GET /workflows`). */
export const SubmitRunBody = z
  .object({
    workflow: z.record(z.string(), z.unknown()).optional(),
    workflowName: z.string().min(1).max(200).optional(),
    inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict()
  .refine((b) => (b.workflow === undefined) !== (b.workflowName === undefined), { message: 'send either "workflow" (a workflow document) or "workflowName" (see GET /workflows)' });

/** `POST /runs/:id/rerun`: what runs again (`all`, `failed`, or a step id and everything after it). */
// No body at all is `from: all`, as `{}` is (a bare `curl -X POST .../rerun` re-runs the whole run).
export const CancelBody = z
  .object({ force: z.boolean().default(false) })
  .strict()
  .default({ force: false });

export const RerunBody = z
  .object({ from: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be "all", "failed" or a step id').default('all') })
  .strict()
  .default({ from: 'all' });

/** Messages a WebSocket client may send. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), runId: RunParams.shape.id, after: z.number().int().min(0).default(0) }).strict(),
  z.object({ type: z.literal('unsubscribe'), runId: RunParams.shape.id }).strict(),
  z.object({ type: z.literal('ping') }).strict(),
]);
