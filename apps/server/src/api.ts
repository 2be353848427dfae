import type { ServerBackend } from './backend.js';
import type { EventLog } from './event-log.js';
import { HttpProblem, withoutStacks } from './http-errors.js';
import type { FastifyRequest } from 'fastify';
import type { SessionStore } from './auth/sessions.js';
import { scopeAllows, type TokenInfo, type TokenStore } from './auth/tokens.js';
import { defineRoutes } from './routes.js';
import { parseWorkflowSource, resolveInputs, type ExtensionCatalogEntry } from '@symphony/conductor';
import type { WorkflowCatalog } from './workflows.js';
import * as S from './schemas.js';
import { inertContentSecurityPolicy } from '@symphony/web/csp';

export interface ApiDeps {
  backend: ServerBackend;
  events: EventLog;
  tokens: TokenStore;
  sessions: SessionStore;
  /** Workflows that `GET /workflows` lists and `POST /runs { workflowName }` starts. */
  catalog: WorkflowCatalog;
  /** Verifies a token for a request, with the server's failure limits (throws an HttpProblem). */
  checkToken(request: FastifyRequest, token: string): Promise<TokenInfo>;
  /** A web session ended: its open sockets close. */
  onLogout?(sessionId: string): void;
  /** Redeems a one-time login code (`POST /auth/login { code }`), with the same failure limits as tokens. */
  redeemCode(request: FastifyRequest, code: string): TokenInfo;
}

export function apiRoutes({ backend, events, tokens, sessions, catalog, checkToken, onLogout, redeemCode }: ApiDeps) {
  const notFound = (what: string) => new HttpProblem(404, 'E_NOT_FOUND', `${what} not found`);
  /** Who a request acts for, as kept with the runs it starts: `token:<name>` (a web session too: the token it logged in with). */
  const startedBy = (request: FastifyRequest): string | undefined => {
    const id = request.caller?.tokenId;
    if (!id) return undefined;
    return `token:${tokens.get(id)?.name ?? id}`;
  };
  return defineRoutes([
    {
      method: 'GET', url: '/health', scope: 'public', summary: 'Liveness and per-plugin health',
      handler: async ({ reply }) => {
        const health = await backend.kernel.health();
        void reply.code(health.status === 'down' ? 503 : 200);
        // Public: statuses only. Plugin details (store paths, sizes, messages) stay inside.
        return { status: health.status, plugins: Object.fromEntries(Object.entries(health.plugins).map(([name, p]) => [name, { status: p.status }])) };
      },
    },
    {
      method: 'GET', url: '/ready', scope: 'public', summary: 'Ready to accept work',
      handler: async ({ reply }) => {
        const ready = await backend.ready();
        void reply.code(ready ? 200 : 503);
        return { ready };
      },
    },
    {
      method: 'GET', url: '/metrics', scope: 'read', summary: 'Prometheus metrics',
      handler: async ({ reply }) => reply.type('text/plain; version=0.0.4').send(await backend.metrics()),
    },
    {
      method: 'POST', url: '/auth/login', scope: 'public', body: S.LoginBody, summary: 'Exchange an API token for a web session cookie',
      returns: '`{ csrf, scopes }`; sets the httpOnly `sym_session` cookie',
      handler: async ({ body, request, reply }) => {
        const info = 'code' in body ? redeemCode(request, body.code) : await checkToken(request, body.token);
        const { cookie, session } = sessions.create(info);
        void reply.setCookie('sym_session', cookie, { httpOnly: true, sameSite: 'strict', path: '/', secure: false, maxAge: 8 * 3600 });
        return { csrf: session.csrf, scopes: session.scopes };
      },
    },
    {
      method: 'POST', url: '/auth/logout', scope: 'read', summary: 'End the web session',
      handler: async ({ request, reply }) => {
        if (request.caller?.session) {
          sessions.destroy(request.caller.session.id);
          onLogout?.(request.caller.session.id);
        }
        void reply.clearCookie('sym_session', { path: '/' });
        return { ok: true };
      },
    },
    {
      method: 'GET', url: '/auth/session', scope: 'read', summary: 'The caller: kind, scopes, and for a web session its CSRF token (other origins cannot read it: strict CORS)',
      handler: async ({ request }) => {
        const caller = request.caller;
        if (!caller) throw new HttpProblem(401, 'E_UNAUTHENTICATED', 'authentication required');
        return { kind: caller.kind, scopes: caller.scopes, ...(caller.session ? { csrf: caller.session.csrf, expiresAt: caller.session.expiresAt } : {}) };
      },
    },
    {
      method: 'GET', url: '/runs', scope: 'read', query: S.RunsQuery, summary: 'List runs, newest first; `offset` pages back through every run in the home',
      handler: async ({ query }) => ({ runs: await backend.listRuns({ limit: query.limit, offset: query.offset }) }),
    },
    {
      method: 'POST', url: '/runs', scope: 'run', body: S.SubmitRunBody,
      summary: 'Start a run: `workflowName` of a configured workflow with `inputs` (scope `run`), or a whole workflow document (scope `admin`: a document chooses its own steps)',
      returns: '`{ runId }` (202)',
      handler: async ({ body, request, reply }) => {
        // A workflow document names any operator with any arguments (file writes, git): that is
        // code execution, so only `admin` may send one. `run` starts what the server was
        // configured with, like a CI token that may trigger a pipeline but not rewrite it.
        if (body.workflow !== undefined && !scopeAllows(request.caller?.scopes ?? [], 'admin')) {
          throw new HttpProblem(403, 'E_FORBIDDEN', 'submitting a workflow document needs the "admin" scope; with "run", start a configured workflow by `workflowName` (GET /workflows)');
        }
        // The whole workflow is validated, `uses:` against the installed extensions, before a run
        // record exists: E_WORKFLOW_INVALID (400) with `diagnostics` [{ file, line, column, stepId, message, suggestion }].
        const extensions = stageExtensions(backend.kernel);
        let workflow: unknown;
        let inputs: Record<string, unknown> = body.inputs;
        let source = 'api';
        if (body.workflowName === undefined) {
          // Positions refer to the document as JSON with two-space indentation.
          workflow = parseWorkflowSource(JSON.stringify(body.workflow, null, 2), { file: 'body.workflow', ...(extensions ? { extensions } : {}) });
        } else {
          const found = await catalog.load(body.workflowName, extensions ? { extensions } : {});
          workflow = found.workflow;
          source = found.file;
          // Declared types and defaults apply, as on the command line; unknown inputs are refused.
          inputs = resolveInputs(found.workflow, body.inputs);
        }
        const by = startedBy(request);
        const { runId } = await backend.submitRun(workflow, inputs as Record<string, string | number | boolean>, { source, ...(by ? { startedBy: by } : {}) });
        void reply.code(202);
        return { runId };
      },
    },
    {
      method: 'GET', url: '/workflows', scope: 'read', summary: 'Workflows this server can start by name',
      returns: '`{ workflows: [{ name, description, file, inputs, steps }], problems: [{ file, code, message }] }`',
      handler: async () => catalog.list(),
    },
    {
      method: 'GET', url: '/runs/:id', scope: 'read', params: S.RunParams, summary: 'One run with its steps',
      handler: async ({ params }) => (await backend.getRun(params.id)) ?? Promise.reject(notFound(`run ${params.id}`)),
    },
    {
      method: 'GET', url: '/runs/:id/decisions', scope: 'read', params: S.RunParams, summary: "The Conductor's decisions for a run: candidates, the chosen provider and the reason",
      handler: async ({ params }) => {
        if (!(await backend.getRun(params.id))) throw notFound(`run ${params.id}`);
        return { decisions: (await backend.explainRun?.(params.id)) ?? [] };
      },
    },
    {
      method: 'POST', url: '/runs/:id/cancel', scope: 'run', params: S.RunParams, body: S.CancelBody, summary: 'Cancel a run',
      returns: '`{ ok: true }`; cancelling again changes nothing (its cleanup steps still run); `{ "force": true }` aborts the cleanup steps too (GitHub\'s force-cancel); 409 `E_CONFLICT` when the run has ended (or was interrupted and nobody drives it), 409 `E_RUN_LOCKED` naming the holder when another process drives it',
      handler: async ({ params, body }) => (await backend.cancelRun(params.id, { force: body.force }), { ok: true }),
    },
    {
      method: 'POST', url: '/runs/:id/resume', scope: 'run', params: S.RunParams, summary: 'Resume a crashed or interrupted run',
      handler: async ({ params }) => (await backend.resumeRun(params.id), { ok: true }),
    },
    {
      method: 'POST', url: '/runs/:id/rerun', scope: 'run', params: S.RunParams, body: S.RerunBody,
      summary: 'Run an ended run again with its workflow and inputs: `from` `all` (default), `failed` (the steps that did not succeed and what follows; the rest is carried over) or a step id',
      returns: '`{ runId }` (202) of the new run; 409 `E_CONFLICT` while the run is running or, for `failed`, when nothing failed',
      handler: async ({ params, body, request, reply }) => {
        if (!backend.rerunRun) throw new HttpProblem(501, 'E_NOT_SUPPORTED', 'this server cannot re-run runs');
        const by = startedBy(request);
        const { runId } = await backend.rerunRun(params.id, { from: body.from, ...(by ? { startedBy: by } : {}) });
        void reply.code(202);
        return { runId };
      },
    },
    {
      method: 'GET', url: '/runs/:id/events', scope: 'read', params: S.RunParams, query: S.EventsQuery,
      summary: "A run's events as Server-Sent Events (resume with `Last-Event-ID` or `?after=`)",
      handler: async ({ params, query, request, reply }) => {
        // An unknown run is 404 now, not a stream that waits forever.
        if (!(await backend.getRun(params.id)) && events.since(params.id, 0).length === 0) throw notFound(`run ${params.id}`);
        const lastId = Number(request.headers['last-event-id']);
        let after = Number.isInteger(lastId) && lastId > 0 ? lastId : query.after;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const send = (e: { seq: number; type: string; data: unknown }) => {
          if (e.seq <= after) return;
          after = e.seq;
          res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(withoutStacks(e.data))}\n\n`);
          if (e.type === 'run:end') res.end();
        };
        for (const e of events.since(params.id, after)) send(e);
        if (res.writableEnded) return;
        const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), 15_000);
        events.on(params.id, send);
        res.on('close', () => {
          clearInterval(heartbeat);
          events.off(params.id, send);
        });
      },
    },
    {
      method: 'GET', url: '/artifacts', scope: 'read', query: S.ArtifactsQuery, summary: 'List artifacts (latest versions)',
      handler: async ({ query }) => ({ artifacts: await backend.listArtifacts({ prefix: query.prefix, limit: query.limit }) }),
    },
    {
      method: 'GET', url: '/artifacts/:name/versions/:version?', scope: 'read', params: S.ArtifactParams,
      summary: "An artifact's bytes, streamed (latest version when none is given)",
      handler: async ({ params, reply }) => {
        const found = await backend.openArtifact(params.name, params.version);
        if (!found) throw notFound(`artifact ${params.name}${params.version ? `@${params.version}` : ''}`);
        return reply
          .type('application/octet-stream')
          .header('x-artifact-version', String(found.artifact.version))
          .header('x-artifact-hash', found.artifact.hash)
          .header('content-disposition', 'attachment')
          // Whatever the bytes are, they never run as a page of this origin (the UI reads them with fetch).
          .header('content-security-policy', inertContentSecurityPolicy)
          .send(found.body);
      },
    },
    {
      method: 'GET', url: '/artifacts/:name/lineage/:version', scope: 'read', params: S.ArtifactParams, summary: 'What an artifact was made from and what was made from it',
      handler: async ({ params }) => {
        if (!backend.artifactLineage || params.version === undefined) throw notFound('lineage');
        return (await backend.artifactLineage(params.name, params.version)) ?? Promise.reject(notFound(`artifact ${params.name}@${params.version}`));
      },
    },
    {
      method: 'GET', url: '/extensions', scope: 'read', summary: 'Installed extensions, their status and permissions',
      handler: async () => ({ extensions: await backend.listExtensions() }),
    },
    {
      method: 'POST', url: '/extensions/:id/enable', scope: 'admin', params: S.ExtensionParams, summary: 'Enable an extension',
      handler: async ({ params }) => (await backend.setExtensionEnabled(params.id, true), { ok: true }),
    },
    {
      method: 'POST', url: '/extensions/:id/disable', scope: 'admin', params: S.ExtensionParams, summary: 'Disable an extension',
      handler: async ({ params }) => (await backend.setExtensionEnabled(params.id, false), { ok: true }),
    },
    {
      method: 'GET', url: '/audit', scope: 'admin', query: S.AuditQuery, summary: 'Sandbox audit entries',
      handler: async ({ query }) => ({ entries: await backend.audit({ extensionId: query.extension, limit: query.limit }) }),
    },
    {
      method: 'GET', url: '/policies', scope: 'read', summary: 'Conductor policy model versions and aliases',
      handler: async () => backend.policies(),
    },
  ]);
}


/** What `uses:` can name (the Stage's extensions and the Conductor's registered steps), when there is a Conductor. */
function stageExtensions(kernel: ServerBackend['kernel']): (() => ExtensionCatalogEntry[]) | undefined {
  let conductor: { extensions(): ExtensionCatalogEntry[] };
  try {
    conductor = kernel.service<{ extensions(): ExtensionCatalogEntry[] }>('conductor');
  } catch {
    return undefined;
  }
  return () => conductor.extensions();
}

