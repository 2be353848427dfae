import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { serve } from '@symphony/server';
import { defaultHome } from '@symphony/config';
import { SymphonyError } from '@symphony/types';
import { openKernel } from '../kernel.js';

export interface ServeValues {
  home?: string;
  host?: string;
  port?: string;
  /** Workflow files or folders the web UI offers to start (default: ./workflows, and the hotspot example when present). */
  workflow?: string[];
}

function workflowSources(given: string[] | undefined): string[] {
  if (given?.length) return given.map((p) => resolve(p));
  return ['workflows', join('examples', 'hotspots', 'workflow.yaml')].map((p) => resolve(p)).filter((p) => existsSync(p));
}

/**
 * `symphony serve [--host 127.0.0.1] [--port 7777] [--home dir]`: the embedded kernel behind
 * the HTTP + WebSocket API. Runs a previous server left running resume; SIGTERM shuts down
 * gracefully. Binding beyond loopback needs an API token (`symphony tokens create`).
 */
export async function serveCommand(values: ServeValues): Promise<number> {
  const home = defaultHome({ flag: values.home });
  const port = values.port === undefined ? 7777 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SymphonyError('E_INPUT_INVALID', `--port must be a port number, not "${values.port}"`, { details: { port: values.port } });
  }
  const workflows = workflowSources(values.workflow);
  // Operators resolve `${workspace}` paths against this; serving from a project makes it the workspace.
  process.env.SYMPHONY_WORKSPACE ??= process.cwd();
  // Two workflow files of one folder share its `extensions/`: load each folder once (a folder given
  // twice would load every extension in it twice, E_EXTENSION_DUPLICATE).
  const workflowExtensions = [...new Set(workflows.map((p) => resolve(statSync(p).isDirectory() ? p : dirname(p), 'extensions')))];
  const { defaultExtensions } = await import('@symphony/web/host');
  const open = await openKernel({ home, logLevel: 'info', extensionDirs: workflowExtensions, alsoTrust: [defaultExtensions] });
  try {
    const server = await serve({ kernel: open.kernel, home, host: values.host ?? '127.0.0.1', port, web: {}, workflows });
    process.stdout.write(`Symphony server on ${server.url} (store ${home})\n`);
    if (server.resumed.length) process.stdout.write(`resumed ${server.resumed.length} interrupted run(s): ${server.resumed.join(', ')}\n`);
    if (server.tokens.size === 0) process.stdout.write('no API tokens yet: create one with `symphony tokens create --scope admin`\n');
  } catch (err) {
    await open.close();
    throw err;
  }
  // serve() owns the process from here: it exits after a graceful shutdown on SIGTERM/SIGINT.
  return new Promise<number>(() => {});
}
