import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { packExtension, publishPackage, type PublisherKeyPair } from '@symphony/sdk';
import { bins } from './processes.js';
import type { Ext } from './fixtures.js';

// The attack suite's parts: the real `symphony-registry` process, and a hostile mirror in
// front of it that rewrites what it serves.

export interface SpawnedRegistry {
  url: string;
  dir: string;
  addPublisher(name: string, namespaces: string[], key: PublisherKeyPair): Promise<void>;
  publish(ext: Ext, key: PublisherKeyPair): Promise<void>;
  stop(): Promise<void>;
}

const ADMIN = 'attack-suite-admin';
let packs = 0;

export async function spawnRegistry(root: string, name: string): Promise<SpawnedRegistry> {
  const dir = join(root, name);
  const child = spawn(process.execPath, [bins.registry, 'serve', '--dir', dir, '--port', '0', '--admin-token', ADMIN, '--upload-burst', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`symphony-registry exited ${code}: ${stderr}`)));
  });
  return {
    url,
    dir,
    async addPublisher(publisher, namespaces, key) {
      const response = await fetch(new URL(`-/publishers/${publisher}`, url), {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ namespaces, publicKeys: [key.publicKey] }),
      });
      if (!response.ok) throw new Error(`add-publisher ${publisher}: ${response.status} ${await response.text()}`);
    },
    async publish(ext, key) {
      const src = join(root, 'src', `${ext.id}-${ext.version}-${packs++}`);
      await mkdir(join(src, 'dist'), { recursive: true });
      const manifest = { id: ext.id, version: ext.version, kind: 'operator', main: 'dist/index.js', permissions: ext.permissions ?? {}, dependencies: ext.dependencies ?? {} };
      await writeFile(join(src, 'symphony.extension.json'), JSON.stringify(manifest));
      await writeFile(join(src, 'dist', 'index.js'), ext.code ?? `export default { methods: { hello: () => ${JSON.stringify(`${ext.id}@${ext.version}`)} } };\n`);
      const pack = await packExtension({ dir: src, key });
      await publishPackage({ registry: url, tarball: pack.tarball, integrity: pack.integrity });
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** What the mirror does with one upstream answer: new bytes, `'hang'` (headers, then silence), or undefined to pass it through. */
export type Rewrite = (path: string, body: Buffer) => Buffer | string | undefined;
export const HANG = 'hang';

export interface Mirror {
  url: string;
  upstream: string;
  rewrite: Rewrite;
  close(): Promise<void>;
}

/** A plain HTTP mirror on 127.0.0.1 that forwards GETs to `upstream` and lets a test tamper with the answers. */
export async function startMirror(upstream: string): Promise<Mirror> {
  const mirror: Mirror = { url: '', upstream, rewrite: () => undefined, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').slice(1);
      const answer = await fetch(new URL(path, mirror.upstream));
      const body = Buffer.from(await answer.arrayBuffer());
      const out = mirror.rewrite(decodeURIComponent(path), body) ?? body;
      if (out === HANG) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        return; // never finishes: the client's timeout must end it
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(out);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  mirror.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return mirror;
}

/** Edits a packument JSON answer. */
export function editJson(body: Buffer, edit: (packument: any) => void): string {
  const packument = JSON.parse(body.toString('utf8'));
  edit(packument);
  return JSON.stringify(packument);
}
