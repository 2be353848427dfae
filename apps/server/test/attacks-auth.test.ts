// The server attacked as an outsider would: tokens created and revoked while it serves, sessions
// across a restart, floods of bad tokens, slowloris at the default open-file limit, malformed
// input. Every server here is real, on 127.0.0.1; the floods hit a server in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, TokenStore, tokensCommand } from '../src/index.js';
import { bearer, startServer, tinyBackend } from './helpers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const fixture = fileURLToPath(new URL('./fixtures/tiny-server.ts', import.meta.url));
const json = { 'content-type': 'application/json' };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server in its own process (`nofile` sets its open-file limit), over the in-memory backend. */
function serverProcess(options: object = {}, nofile?: number): Promise<{ proc: ChildProcess; url: string; tokens: Record<'read' | 'run' | 'admin', string> }> {
  const argv = ['--import', tsx, fixture, JSON.stringify(options)];
  const proc = nofile
    ? spawn('sh', ['-c', `ulimit -n ${nofile} && exec "$0" "$@"`, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => new Promise<void>((resolve) => (proc.exitCode !== null ? resolve() : (proc.once('exit', () => resolve()), proc.kill('SIGKILL')))));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ proc, ...JSON.parse(out.split('\n')[0]!) });
    });
    proc.on('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
}

/** GET /health until it answers (connections may be refused meanwhile); its status, or 0 if it never did. */
async function healthEventually(url: string, attempts = 240): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
      return res.status;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return 0;
}

/** Runs `total` requests, `concurrency` at a time; counts the statuses. */
async function flood(total: number, concurrency: number, request: (i: number) => Promise<Response>): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const status = await request(i).then((r) => (r.body?.cancel(), r.status), () => -1);
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

describe('tokens and sessions take effect at once', () => {
  it('a token created by `symphony tokens create` while serving works at once; a revoked one fails at once, with its sessions and sockets', async () => {
    const ctx = await startServer();
    cleanups.push(() => ctx.server.close());
    const lines: string[] = [];
    expect(await tokensCommand(['create', '--scope', 'read', '--name', 'late'], ctx.home, (l) => lines.push(l))).toBe(0);
    const late = lines[0]!;
    const id = /^sym_([0-9a-f]{12})_/.exec(late)![1]!;
    expect((await fetch(`${ctx.url}/runs`, { headers: bearer(late) })).status).toBe(200);

    // A web session and a run-events socket opened with it, then the CLI (another store on the same file) revokes it.
    const login = await fetch(`${ctx.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: late }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await fetch(`${ctx.url}/auth/session`, { headers: { cookie } })).status).toBe(200);
    const ws = new WebSocket(`${ctx.url.replace('http', 'ws')}/ws/runs`, { headers: bearer(late) });
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    expect(await tokensCommand(['revoke', id], ctx.home, () => undefined)).toBe(0);
    expect((await fetch(`${ctx.url}/runs`, { headers: bearer(late) })).status).toBe(401);
    expect((await fetch(`${ctx.url}/auth/session`, { headers: { cookie } })).status).toBe(401);
    expect(await closed).toBe(4401);
    // The other tokens were not disturbed.
    expect((await fetch(`${ctx.url}/runs`, { headers: bearer(ctx.tokens.read) })).status).toBe(200);
  });

  it('ten writers creating tokens at once (CLIs, the server) lose none of them', async () => {
    const home = mkdtempSync(join(tmpdir(), 'symphony-tokens-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const file = join(home, 'tokens.json');
    const stores = await Promise.all(Array.from({ length: 10 }, () => TokenStore.open(file)));
    const created = await Promise.all(stores.map((store, i) => store.create(`w${i}`, ['read'])));
    const fresh = await TokenStore.open(file);
    expect(fresh.list().map((t) => t.id).sort()).toEqual(created.map((c) => c.info.id).sort());
    for (const c of created) expect(await fresh.verify(c.token)).toMatchObject({ id: c.info.id });
    await Promise.all(created.slice(0, 5).map((c, i) => stores[9 - i]!.revoke(c.info.id)));
    expect((await TokenStore.open(file)).list().map((t) => t.id).sort()).toEqual(created.slice(5).map((c) => c.info.id).sort());
  });

  it('a login loop with a good token keeps at most 50 sessions for it: the oldest end', async () => {
    const ctx = await startServer();
    cleanups.push(() => ctx.server.close());
    const cookies: string[] = [];
    for (let i = 0; i < 55; i++) {
      const res = await fetch(`${ctx.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: ctx.tokens.read }) });
      cookies.push((res.headers.get('set-cookie') ?? '').split(';')[0]!);
    }
    const live = await Promise.all(cookies.map(async (cookie) => (await fetch(`${ctx.url}/auth/session`, { headers: { cookie } })).status));
    expect(live.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(live.slice(5).every((s) => s === 200)).toBe(true);
    expect((JSON.parse(readFileSync(join(ctx.home, 'server', 'sessions.json'), 'utf8')) as { sessions: unknown[] }).sessions).toHaveLength(50);
  });

  it('a web session survives a restart of the server over the same home; logout ends it', async () => {
    const ctx = await startServer();
    const login = await fetch(`${ctx.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: ctx.tokens.run }) });
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    await ctx.server.close();
    // The session file stores ids hashed: the file alone is no cookie.
    expect(readFileSync(join(ctx.home, 'server', 'sessions.json'), 'utf8')).not.toContain(cookie.split('=')[1]!.split('.')[0]!);

    const again = await createServer({ backend: await tinyBackend(), home: ctx.home, port: 0 });
    cleanups.push(() => again.close());
    const url = await again.listen();
    const session = await fetch(`${url}/auth/session`, { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ kind: 'session', scopes: ['run'], csrf });
    expect((await fetch(`${url}/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })).status).toBe(200);
    expect((await fetch(`${url}/auth/session`, { headers: { cookie } })).status).toBe(401);
  });
});

describe('guessing tokens', () => {
  it('a flood of 2,000 bad tokens from one address turns into 429s before any hashing, and /health keeps answering', { timeout: 60_000 }, async () => {
    const server = await serverProcess();
    const id = /^sym_([0-9a-f]{12})_/.exec(server.tokens.read)![1]!;
    expect((await fetch(`${server.url}/runs`, { headers: bearer(server.tokens.run) })).status).toBe(200);
    // Half guess secrets of a real token id (each a scrypt if it got through), half random ids.
    const guess = (i: number) => (i % 2 ? `sym_${id}_${String(i).padStart(43, 'x')}` : `sym_${i.toString(16).padStart(12, '0')}_${'y'.repeat(43)}`);
    const during = flood(2000, 50, (i) => fetch(`${server.url}/runs`, { headers: bearer(guess(i)) }));
    const health = await healthEventually(server.url);
    const counts = await during;
    expect(health).toBe(200);
    expect(counts.get(-1) ?? 0).toBe(0);
    // The address's failure budget (20) and then 429s; never 2,000 answers of 401.
    expect(counts.get(401) ?? 0).toBeLessThanOrEqual(100);
    expect(counts.get(429) ?? 0).toBeGreaterThanOrEqual(1850);
    // A client holding a good (already verified) token at the same address keeps working.
    expect((await fetch(`${server.url}/runs`, { headers: bearer(server.tokens.run) })).status).toBe(200);
    expect(await healthEventually(server.url)).toBe(200);
  });

  it('a token id that fails repeatedly is locked out, even for its right secret, while its verified holder keeps working', async () => {
    const ctx = await startServer({ authFailures: { perSecond: 1000, burst: 1000 }, tokenGuard: { lockoutAfter: 5, lockoutMs: 60_000 } });
    cleanups.push(() => ctx.server.close());
    const fresh = (await ctx.server.tokens.create('victim', ['read'])).token;
    const id = /^sym_([0-9a-f]{12})_/.exec(fresh)![1]!;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await fetch(`${ctx.url}/runs`, { headers: bearer(`sym_${id}_${String(i).padStart(43, 'z')}`) })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const locked = await fetch(`${ctx.url}/runs`, { headers: bearer(fresh) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Login goes through the same guard.
    expect((await fetch(`${ctx.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: fresh }) })).status).toBe(429);
    expect((await fetch(`${ctx.url}/runs`, { headers: bearer(ctx.tokens.read) })).status).toBe(200);
  });

  it('bad logins from one address are limited like bad bearer tokens', async () => {
    const ctx = await startServer({ authFailures: { perSecond: 0.001, burst: 3 } });
    cleanups.push(() => ctx.server.close());
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${ctx.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: 'sym_nope' }) })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('slow clients', () => {
  it('1,100 half-open connections at `nofile` 1024 do not keep /health down: excess connections are shed, slow ones time out', { timeout: 60_000 }, async () => {
    const server = await serverProcess({ limits: { headersTimeoutMs: 3000 } }, 1024);
    const { port } = new URL(server.url);
    const sockets: Socket[] = [];
    let closedByServer = 0;
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    await Promise.all(
      Array.from({ length: 1100 }, () =>
        new Promise<void>((resolve) => {
          const s = connect(Number(port), '127.0.0.1', () => {
            s.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '); // never finished
            resolve();
          });
          s.on('error', () => resolve());
          s.on('close', () => ((closedByServer += 1), resolve()));
          s.resume(); // read what the server says (a 408), so its close is seen
          sockets.push(s);
        }),
      ),
    );
    expect(await healthEventually(server.url)).toBe(200);
    // The attacker's sockets were closed by the server (shed at once, or timed out), not left open.
    for (let i = 0; i < 300 && closedByServer < 1100; i++) await new Promise((r) => setTimeout(r, 100));
    expect(closedByServer).toBe(1100);
    expect(server.proc.exitCode).toBeNull();
  });

  it('by default headers must arrive within 10 s and connections stay below the open-file limit', async () => {
    const ctx = await startServer();
    cleanups.push(() => ctx.server.close());
    expect(ctx.server.app.server.headersTimeout).toBe(10_000);
    expect(ctx.server.app.server.requestTimeout).toBe(30_000);
    expect(ctx.server.app.server.keepAliveTimeout).toBe(5_000);
    const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))![1]);
    expect(ctx.server.app.server.maxConnections).toBe(Math.max(64, limit - 256));
  });
});

describe('malformed input is 4xx, never 500 or a hang', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  afterAll(() => ctx?.server.close());

  it('a 100k-deep array in a workflow is 400', async () => {
    ctx ??= await startServer();
    const deep = `{"workflow":{"name":"x","steps":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const res = await fetch(`${ctx.url}/runs`, { method: 'POST', headers: { ...bearer(ctx.tokens.admin), ...json }, body: deep });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'E_INPUT_INVALID' });
    // Brackets inside strings are text, not nesting.
    const text = JSON.stringify({ workflowName: '['.repeat(150), inputs: { x: '{'.repeat(1000) } });
    expect((await fetch(`${ctx.url}/runs`, { method: 'POST', headers: { ...bearer(ctx.tokens.admin), ...json }, body: text })).status).toBe(404);
  });

  it('a malformed Origin on a WebSocket upgrade is refused with 403, not 500', async () => {
    ctx ??= await startServer();
    const login = await fetch(`${ctx.url}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ token: ctx.tokens.read }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    for (const origin of ['::not a url::', 'http://[', 'null']) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`${ctx.url.replace('http', 'ws')}/ws/runs`, { headers: { cookie, origin } });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => (ws.close(), resolve(101)));
        ws.on('error', () => resolve(-1));
      });
      expect(status, origin).toBe(403);
    }
  });

  it('events of an unknown run are 404 at once, not a stream that never ends', async () => {
    ctx ??= await startServer();
    const res = await fetch(`${ctx.url}/runs/no-such-run/events`, { headers: bearer(ctx.tokens.read), signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('/health shows statuses only: no absolute paths, no home', async () => {
    ctx ??= await startServer();
    const text = await (await fetch(`${ctx.url}/health`)).text();
    expect(text).not.toContain(ctx.home);
    expect(text).not.toMatch(/"\/[^"]*"/);
    expect(JSON.parse(text)).toMatchObject({ status: 'ok' });
  });

  it('the served OpenAPI document is valid OpenAPI 3.1 (checked by an independent validator)', async () => {
    ctx ??= await startServer();
    const document = await (await fetch(`${ctx.url}/openapi.json`)).json();
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The optional version is documented as two paths, each parameter required.
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/artifacts/{name}/versions', '/artifacts/{name}/versions/{version}']));
  });
});
