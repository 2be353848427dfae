import { readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { loadWorkflow, loadWorkflowFile, type ValidateWorkflowOptions } from '@symphony/conductor';
import { SymphonyError, toSymphonyError, type Workflow } from '@symphony/types';

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
  async load(name: string, options: Pick<ValidateWorkflowOptions, 'extensions'> = {}): Promise<{ workflow: Workflow; file: string }> {
    const { workflows } = await this.list();
    const entry = workflows.find((w) => w.name === name);
    if (!entry) {
      throw new SymphonyError('E_NOT_FOUND', `no configured workflow named "${name}" (configured: ${workflows.map((w) => w.name).join(', ') || 'none'})`, { details: { workflowName: name } });
    }
    return { workflow: await loadWorkflow(entry.file, options), file: entry.file };
  }
}
