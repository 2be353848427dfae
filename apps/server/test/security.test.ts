import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, SessionStore, TokenStore } from '../src/index.js';
import { bearer, startServer, tinyBackend } from './helpers.js';

let ctx: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  ctx = await startServer({ bodyLimit: 4096 });
});
afterAll(() => ctx.server.close());

const api = (path: string, init: RequestInit = {}) => fetch(`${ctx.url}${path}`, init);
const json = { 'content-type': 'application/json' };
const body = (res: Response): Promise<any> => res.json();

describe('authentication and scopes', () => {
  const protectedRoutes: [string, string, string][] = [
    ['GET', '/runs', 'read'],
    ['POST', '/runs', 'run'],
    ['GET', '/runs/run-1', 'read'],
    ['POST', '/runs/run-1/cancel', 'run'],
    ['POST', '/runs/run-1/resume', 'run'],
    ['GET', '/runs/run-1/events', 'read'],
    ['GET', '/artifacts', 'read'],
    ['GET', '/artifacts/report.md/versions/', 'read'],
    ['GET', '/extensions', 'read'],
    ['POST', '/extensions/acme.csv/enable', 'admin'],
    ['POST', '/extensions/acme.csv/disable', 'admin'],
    ['GET', '/audit', 'admin'],
    ['GET', '/policies', 'read'],
    ['GET', '/metrics', 'read'],
  ];

  it.each(protectedRoutes)('%s %s without a token is 401', async (method, path) => {
    const res = await api(path, { method });
    expect(res.status).toBe(401);
    expect((await body(res)).code).toBe('E_UNAUTHENTICATED');
  });

  it.each(protectedRoutes.filter(([, , scope]) => scope !== 'read'))('%s %s with too small a scope is 403', async (method, path) => {
    const res = await api(path, { method, headers: { ...bearer(ctx.tokens.read), ...json }, body: method === 'POST' ? '{}' : undefined });
    expect(res.status).toBe(403);
  });

  it('a forged, malformed or revoked token is 401', async () => {
    const forged = ctx.tokens.admin.slice(0, -4) + 'AAAA';
    for (const token of [forged, 'sym_nothex_abc', 'Basic x']) {
      expect((await api('/runs', { headers: bearer(token) })).status).toBe(401);
    }
    const { token, info } = await ctx.server.tokens.create('temp', ['read']);
    expect((await api('/runs', { headers: bearer(token) })).status).toBe(200);
    await ctx.server.tokens.revoke(info.id);
    expect((await api('/runs', { headers: bearer(token) })).status).toBe(401);
  });

  it('an expired token is 401', async () => {
    const { token } = await ctx.server.tokens.create('short', ['read'], 1);
    await new Promise((r) => setTimeout(r, 5));
    expect((await api('/runs', { headers: bearer(token) })).status).toBe(401);
  });

  it('stores tokens hashed, never in plaintext', async () => {
    const { readFileSync } = await import('node:fs');
    const stored = readFileSync(ctx.server.tokens.file, 'utf8');
    for (const token of Object.values(ctx.tokens)) expect(stored).not.toContain(token.slice(token.indexOf('_', 4) + 1)); // the whole secret (base64url may hold '_')
  });

  it('health, readiness and the OpenAPI document are public', async () => {
    expect((await api('/health')).status).toBe(200);
    expect((await api('/ready')).status).toBe(200);
    const doc = await body(await api('/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/runs'].post.requestBody.content['application/json'].schema.properties.workflow).toBeDefined();
    expect(doc.paths['/runs/{id}'].get['x-required-scope']).toBe('read');
  });
});

describe('web sessions', () => {
  async function login(token: string) {
    const res = await api('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ token }) });
    const cookie = res.headers.get('set-cookie') ?? '';
    return { res, cookie: cookie.split(';')[0]!, raw: cookie, csrf: (await body(res)).csrf as string };
  }

  it('sets an httpOnly SameSite=Strict cookie and needs the CSRF token for changes', async () => {
    const { res, cookie, raw, csrf } = await login(ctx.tokens.admin);
    expect(res.status).toBe(200);
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Strict/i);
    expect((await api('/runs', { headers: { cookie } })).status).toBe(200);
    const body = JSON.stringify({ workflow: { name: 'w', steps: [{ id: 'a', uses: 'test.x/run' }] } }); // valid: validated before a run exists
    expect((await api('/runs', { method: 'POST', headers: { cookie, ...json }, body })).status).toBe(403);
    expect((await api('/runs', { method: 'POST', headers: { cookie, ...json, 'x-csrf-token': 'nope' }, body })).status).toBe(403);
    expect((await api('/runs', { method: 'POST', headers: { cookie, ...json, 'x-csrf-token': csrf }, body })).status).toBe(202);
  });

  it('refuses a forged or expired session', async () => {
    const { cookie } = await login(ctx.tokens.read);
    const [id] = cookie.replace('sym_session=', '').split('.');
    expect((await api('/runs', { headers: { cookie: `sym_session=${id}.forgedsignature` } })).status).toBe(401);
    expect((await api('/runs', { headers: { cookie: 'sym_session=made-up' } })).status).toBe(401);
    let now = Date.now();
    const sessions = new SessionStore(undefined, { ttlMs: 1000, now: () => now });
    const info = (await ctx.server.tokens.verify(ctx.tokens.read))!;
    const { cookie: c } = sessions.create(info);
    expect(sessions.fromCookie(c)).toBeDefined();
    now += 1001;
    expect(sessions.fromCookie(c)).toBeUndefined();
  });

  it('refuses a wrong token at login', async () => {
    expect((await login('sym_000000000000_' + 'A'.repeat(43))).res.status).toBe(401);
  });
});

describe('input limits and validation', () => {
  it('malformed JSON is 400', async () => {
    const res = await api('/runs', { method: 'POST', headers: { ...bearer(ctx.tokens.run), ...json }, body: '{"workflow": ' });
    expect(res.status).toBe(400);
    expect((await body(res)).code).toBe('E_INPUT_INVALID');
  });

  it('an oversized body is 413', async () => {
    const body = JSON.stringify({ workflow: { name: 'x'.repeat(10_000) } });
    expect((await api('/runs', { method: 'POST', headers: { ...bearer(ctx.tokens.run), ...json }, body })).status).toBe(413);
  });

  it('a body or query that fails its schema is 400 with the problem paths', async () => {
    const res = await api('/runs', { method: 'POST', headers: { ...bearer(ctx.tokens.run), ...json }, body: JSON.stringify({ workflow: 3, extra: true }) });
    expect(res.status).toBe(400);
    const problem = await body(res);
    expect(problem.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body', 'body.workflow'].sort());
    const q = await api('/runs?limit=-4', { headers: bearer(ctx.tokens.read) });
    expect(q.status).toBe(400);
    expect((await body(q)).issues[0].path).toBe('query.limit');
  });

  it('a backend validation error keeps its code and paths', async () => {
    const res = await api('/runs', { method: 'POST', headers: { ...bearer(ctx.tokens.admin), ...json }, body: JSON.stringify({ workflow: { steps: [{ id: 'a', uses: 'test.x/run' }] } }) });
    expect(res.status).toBe(400);
    expect(await body(res)).toMatchObject({ code: 'E_WORKFLOW_INVALID', issues: [{ path: 'name' }] });
  });
});

describe('path traversal', () => {
  it('artifact names with .. segments never reach the store', async () => {
    for (const path of ['/artifacts/..%2F..%2Fetc%2Fpasswd/versions/', '/artifacts/%2E%2E/versions/1', '/artifacts/a%2F..%2F..%2Fx/versions/1']) {
      const res = await api(path, { headers: bearer(ctx.tokens.read) });
      expect([400, 404]).toContain(res.status);
    }
    const ok = await api('/artifacts/report.md/versions/', { headers: bearer(ctx.tokens.read) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('# report\n');
  });

  it('static files never leave the web root', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(join(tmpdir(), 'web-root-'));
    writeFileSync(join(root, 'index.html'), '<h1>symphony</h1>');
    writeFileSync(join(root, '..', 'secret-outside.txt'), 'TOP-SECRET-CONTENT');
    const { server, url } = await startServer({ webRoot: root });
    expect(await (await fetch(`${url}/`)).text()).toContain('symphony');
    for (const path of ['/../secret-outside.txt', '/%2e%2e/secret-outside.txt', '/..%2fsecret-outside.txt', '/%2e%2e%2fsecret-outside.txt']) {
      const res = await fetch(`${url}${path}`);
      expect(await res.text()).not.toContain('TOP-SECRET-CONTENT');
    }
    await server.close();
  });
});

describe('binding, CORS and rate limits', () => {
  it('refuses to bind beyond loopback with no tokens', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const home = mkdtempSync(join(tmpdir(), 'bind-'));
    await expect(createServer({ backend: await tinyBackend(), home, host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
    const tokens = await TokenStore.open(join(home, 'tokens.json'));
    await tokens.create('ops', ['admin']);
    const server = await createServer({ backend: await tinyBackend(), home, host: '0.0.0.0', port: 0, tokens });
    await server.close();
  });

  it('answers CORS only for listed origins', async () => {
    const { server, url } = await startServer({ corsOrigins: ['https://ui.example'] });
    const good = await fetch(`${url}/runs`, { method: 'OPTIONS', headers: { origin: 'https://ui.example', 'access-control-request-method': 'POST' } });
    expect(good.status).toBe(204);
    expect(good.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    const bad = await fetch(`${url}/runs`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
    await server.close();
  });

  it('rate-limits per token with 429 and Retry-After', async () => {
    const { server, url, tokens } = await startServer({ rateLimit: { perSecond: 1, burst: 3 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/runs`, { headers: bearer(tokens.read) })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await fetch(`${url}/runs`, { headers: bearer(tokens.read) });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // another token has its own bucket
    expect((await fetch(`${url}/runs`, { headers: bearer(tokens.admin) })).status).toBe(200);
    await server.close();
  });
});

describe('WebSocket upgrades', () => {
  const wsUrl = () => ctx.url.replace('http', 'ws') + '/ws/runs';
  const outcome = (ws: WebSocket) =>
    new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
      ws.on('error', () => resolve('error'));
    });

  it('refuses an upgrade without auth, and one with a forged token', async () => {
    expect(await outcome(new WebSocket(wsUrl()))).toBe('refused 401');
    expect(await outcome(new WebSocket(wsUrl(), { headers: bearer('sym_000000000000_' + 'B'.repeat(43)) }))).toBe('refused 401');
  });

  it('refuses a cross-origin upgrade riding on a session cookie', async () => {
    const res = await api('/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ token: ctx.tokens.read }) });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(await outcome(new WebSocket(wsUrl(), { headers: { cookie, origin: 'https://evil.example' } }))).toBe('refused 403');
    const same = new WebSocket(wsUrl(), { headers: { cookie, origin: ctx.url } });
    expect(await outcome(same)).toBe('open');
    same.close();
  });

  it('accepts a bearer token and delivers events after `after`, in order', async () => {
    for (let i = 1; i <= 5; i++) ctx.server.events.append('run-ws', 'step:end', { i });
    const ws = new WebSocket(wsUrl(), { headers: bearer(ctx.tokens.read) });
    expect(await outcome(ws)).toBe('open');
    const seen: number[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        const msg = JSON.parse(String(m));
        if (msg.type === 'event') seen.push(msg.seq);
        if (seen.length === 4) resolve();
      }),
    );
    ws.send(JSON.stringify({ type: 'subscribe', runId: 'run-ws', after: 2 }));
    setTimeout(() => ctx.server.events.append('run-ws', 'run:end', { status: 'succeeded' }), 20);
    await done;
    expect(seen).toEqual([3, 4, 5, 6]);
    ws.close();
  });
});
