import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { loadWorkflowFile, resolveInputs } from '@symphony/conductor';
import { SymphonyError, toSymphonyError, type Workflow } from '@symphony/types';
import type { ServerBackend } from './backend.js';
import { HttpProblem } from './http-errors.js';
import { defineRoutes, type RouteDef } from './routes.js';

/** A workflow the server offers to start by name (`GET /workflows`). */
export interface WorkflowEntry {
  name: string;
  description?: string;
  file: string;
  inputs: Record<string, { type: string; default?: unknown; description?: string; required?: boolean }>;
  steps: number;
}

const WORKFLOW_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * The workflow files a server was configured with (files, or folders whose `*.yaml|yml|json`
 * files are read). Read on each request, so an edited file is picked up without a restart.
 */
export class WorkflowCatalog {
  constructor(private readonly paths: readonly string[]) {}

  private files(): string[] {
    const files: string[] = [];
    for (const path of this.paths.map((p) => resolve(p))) {
      let isDir = false;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        files.push(path); // reported as a problem by `list`
        continue;
      }
      if (!isDir) files.push(path);
      else for (const name of readdirSync(path).sort()) if (WORKFLOW_EXTENSIONS.has(extname(name))) files.push(join(path, name));
    }
    return files;
  }

  /** Valid workflows, and each file that is not one with its problem (a person fixes it). */
  async list(): Promise<{ workflows: WorkflowEntry[]; problems: Array<{ file: string; code: string; message: string }> }> {
    const workflows: WorkflowEntry[] = [];
    const problems: Array<{ file: string; code: string; message: string }> = [];
    for (const file of this.files()) {
      try {
        const wf = await loadWorkflowFile(file);
        if (workflows.some((w) => w.name === wf.name)) throw new SymphonyError('E_CONFLICT', `another configured workflow is also named "${wf.name}"`, { details: { path: file } });
        workflows.push({ name: wf.name, ...(wf.description ? { description: wf.description } : {}), file, inputs: (wf.inputs ?? {}) as WorkflowEntry['inputs'], steps: wf.steps.length });
      } catch (err) {
        const e = toSymphonyError(err);
        problems.push({ file, code: e.code, message: e.message });
      }
    }
    return { workflows, problems };
  }

  /** The named workflow, parsed and validated. */
  async load(name: string): Promise<{ workflow: Workflow; file: string }> {
    const { workflows } = await this.list();
    const entry = workflows.find((w) => w.name === name);
    if (!entry) {
      throw new SymphonyError('E_NOT_FOUND', `no configured workflow named "${name}" (configured: ${workflows.map((w) => w.name).join(', ') || 'none'})`, { details: { workflowName: name } });
    }
    return { workflow: await loadWorkflowFile(entry.file), file: entry.file };
  }
}

const Inputs = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({});
/** `POST /runs`: a workflow document, or the name of a configured workflow (`GET /workflows`). */
export const SubmitRunBody = z
  .object({
    workflow: z.record(z.string(), z.unknown()).optional(),
    workflowName: z.string().min(1).max(200).optional(),
    inputs: Inputs,
  })
  .strict()
  .refine((b) => (b.workflow === undefined) !== (b.workflowName === undefined), { message: 'send either "workflow" (a workflow document) or "workflowName" (see GET /workflows)' });

/**
 * Routes for the web UI beside the API's own: `GET /workflows`, `POST /runs` by document or by
 * name (it replaces the document-only route), and `GET /auth/session` (who the caller is, and the
 * session's CSRF token, so a reloaded page keeps working; other origins cannot read it: strict CORS).
 */
export function withWebRoutes(routes: RouteDef[], deps: { backend: ServerBackend; catalog: WorkflowCatalog }): RouteDef[] {
  const extra = defineRoutes([
    {
      method: 'GET', url: '/workflows', scope: 'read', summary: 'Workflows this server can start by name',
      returns: '`{ workflows: [{ name, description, file, inputs, steps }], problems: [{ file, code, message }] }`',
      handler: async () => deps.catalog.list(),
    },
    {
      method: 'POST', url: '/runs', scope: 'run', body: SubmitRunBody, summary: 'Submit a workflow run (a workflow document, or `workflowName` of a configured one)', returns: '`{ runId }` (202)',
      handler: async ({ body, reply }) => {
        let workflow: unknown = body.workflow;
        let inputs: Record<string, unknown> = body.inputs;
        if (body.workflowName !== undefined) {
          const found = await deps.catalog.load(body.workflowName);
          workflow = found.workflow;
          // Declared types and defaults apply, as on the command line; unknown inputs are refused.
          inputs = resolveInputs(found.workflow, body.inputs);
        }
        const { runId } = await deps.backend.submitRun(workflow, inputs as Record<string, string | number | boolean>);
        void reply.code(202);
        return { runId };
      },
    },
    {
      method: 'GET', url: '/auth/session', scope: 'read', summary: 'The caller: kind, scopes, and for a web session its CSRF token',
      handler: async ({ request }) => {
        const caller = request.caller;
        if (!caller) throw new HttpProblem(401, 'E_UNAUTHENTICATED', 'authentication required');
        return { kind: caller.kind, scopes: caller.scopes, ...(caller.session ? { csrf: caller.session.csrf, expiresAt: caller.session.expiresAt } : {}) };
      },
    },
  ]);
  const replaced = new Set(extra.map((r) => `${r.method} ${r.url}`));
  return [...routes.filter((r) => !replaced.has(`${r.method} ${r.url}`)), ...extra];
}
