import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createKernel } from '@symphony/kernel';
import { SymphonyError } from '@symphony/types';
import { createServer, type ServerBackend, type ServerOptions } from '../src/index.js';

/**
 * A backend with in-memory runs and artifacts over a real (empty) kernel: enough to exercise the
 * HTTP, auth and WebSocket layers on their own. The end-to-end tests use the real Conductor.
 */
export async function tinyBackend(): Promise<ServerBackend & { runs: Map<string, { status: string }> }> {
  const kernel = createKernel();
  await kernel.start();
  const runs = new Map<string, { status: string }>();
  const artifacts = new Map([['report.md', { name: 'report.md', version: 1, hash: 'a'.repeat(64), bytes: Buffer.from('# report\n') }]]);
  let n = 0;
  return {
    kernel,
    runs,
    async submitRun(workflow) {
      if (!(workflow as { name?: string }).name) throw new SymphonyError('E_WORKFLOW_INVALID', 'workflow is invalid', { details: { issues: [{ path: 'name', message: 'required' }] } });
      const runId = `run-${++n}`;
      runs.set(runId, { status: 'running' });
      return { runId };
    },
    listRuns: async () => [...runs].map(([runId, r]) => ({ runId, workflow: 'wf', status: r.status })),
    getRun: async (id) => (runs.has(id) ? { runId: id, workflow: 'wf', status: runs.get(id)!.status } : undefined),
    cancelRun: async (id) => {
      if (!runs.has(id)) throw new SymphonyError('E_NOT_FOUND', `run ${id} not found`);
      runs.get(id)!.status = 'cancelled';
    },
    resumeRun: async () => {},
    listArtifacts: async () => [...artifacts.values()].map(({ bytes: _b, ...a }) => a),
    openArtifact: async (name) => {
      const a = artifacts.get(name);
      return a ? { artifact: { name: a.name, version: a.version, hash: a.hash }, body: Readable.from([a.bytes]) } : undefined;
    },
    listExtensions: async () => [],
    setExtensionEnabled: async () => {},
    audit: async () => [],
    policies: async () => ({ aliases: {} }),
    metrics: async () => '# HELP up 1\nup 1\n',
    ready: async () => true,
    close: () => kernel.stop(),
  };
}

export async function startServer(extra: Partial<ServerOptions> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'symphony-server-'));
  const backend = await tinyBackend();
  const server = await createServer({ backend, home, port: 0, ...extra });
  const url = await server.listen();
  const tokens = {
    read: (await server.tokens.create('reader', ['read'])).token,
    run: (await server.tokens.create('runner', ['run'])).token,
    admin: (await server.tokens.create('admin', ['admin'])).token,
  };
  return { server, url, backend, tokens, home };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
