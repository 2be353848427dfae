// A server process for the load benchmark: the real kernel (LMDB store, Pit, Conductor with a
// no-op step) behind the real API, or (argv[3] === 'raw') a bare node:http floor.
import { createServer as createHttp } from 'node:http';
import { createSymphony } from '@symphony/runtime';
import { serve } from '@symphony/server';

const [home, mode] = process.argv.slice(2);
if (mode === 'raw') {
  const body = JSON.stringify({ runId: 'run-1', workflow: 'noop', status: 'succeeded', steps: [] });
  const server = createHttp((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`));
} else {
  const { kernel } = await createSymphony({ home, builtins: false, policy: 'heuristic', logLevel: 'silent', steps: { 'bench.noop/run': () => ({ ok: true }) } });
  const server = await serve({ kernel, home, port: 0, rateLimit: { perSecond: 1e9, burst: 1e9 } });
  // The suite submits a workflow document, which needs the admin scope (a `run` token may start
  // only configured workflows by name).
  const { token } = await server.tokens.create('bench', ['run', 'admin']);
  process.stdout.write(`${JSON.stringify({ url: server.url, token })}\n`);
}
