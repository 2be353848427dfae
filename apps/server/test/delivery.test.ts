import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt } from './web-kernel.js';
import { bearer, startServer } from './helpers.js';

// The built web app as the server delivers it: compressed, cached by content hash, deep links.
let s: Awaited<ReturnType<typeof startServer>>;
let dist: string;
beforeAll(async () => {
  ensureWebBuilt();
  const { defaultDist } = await import('@symphony/web/host');
  dist = defaultDist;
  s = await startServer({ webRoot: dist });
});
afterAll(async () => { await s?.server.close(); });

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.url}${path}`, { headers });

describe('static delivery of the web app', () => {
  it('sends hashed assets brotli- or gzip-compressed as the client accepts, cached for a year as immutable', async () => {
    const js = readdirSync(join(dist, 'assets')).find((f) => /^index-.*\.js$/.test(f))!;
    const br = await get(`/assets/${js}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // fetch decodes for us; the body is the real script.
    expect((await br.text()).length).toBeGreaterThan(1000);
    const gz = await get(`/assets/${js}`, { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const plain = await get(`/assets/${js}`, { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    // The precompressed files really hold the same bytes.
    const { readFileSync } = await import('node:fs');
    const raw = readFileSync(join(dist, 'assets', js));
    expect(brotliDecompressSync(readFileSync(join(dist, 'assets', `${js}.br`))).equals(raw)).toBe(true);
    expect(gunzipSync(readFileSync(join(dist, 'assets', `${js}.gz`))).equals(raw)).toBe(true);
  });

  it('index.html is revalidated (no-cache); the favicon and web app manifest exist', async () => {
    const index = await get('/', { 'accept-encoding': 'br', accept: 'text/html' });
    expect(index.headers.get('content-encoding')).toBe('br');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('rel="manifest"');
    // Any client asking for / gets the app (even without the precompressed variant it accepts).
    const any = await get('/', { accept: '*/*', 'accept-encoding': 'identity' });
    expect(any.status).toBe(200);
    expect(await any.text()).toContain('<div id="root">');
    expect((await get('/favicon.ico')).status).toBe(200);
    const manifest = await get('/manifest.webmanifest');
    expect(manifest.status).toBe(200);
    expect(((await manifest.json()) as { start_url: string }).start_url).toBe('/runs');
  });

  it('a browser navigating to a deep link gets the app; API clients still get JSON (and need a token)', async () => {
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-dest': 'document' };
    for (const path of ['/runs', '/runs/r-1', '/runs/r-1/steps/build', '/extensions', '/artifacts']) {
      const res = await get(path, html);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
    }
    // Not an app route: the API's own answer.
    expect((await get('/runs/r-1/events', html)).status).toBe(401);
    // A script's fetch (JSON) is the API, authenticated as before.
    expect((await get('/runs', { accept: 'application/json' })).status).toBe(401);
    expect((await get('/runs', { accept: '*/*' })).status).toBe(401);
    const list = await get('/runs', { accept: 'application/json', ...bearer(s.tokens.read) });
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toMatch(/json/);
  });
});
