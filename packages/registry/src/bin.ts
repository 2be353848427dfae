#!/usr/bin/env node
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import { openRegistry } from './registry.js';
import { serveRegistry } from './http.js';

const USAGE = `symphony-registry serve --dir <folder> [--port 0] [--host 127.0.0.1] [--admin-token <t>] [--base-path /]
    [--reserved-namespace <ns>]... [--uploads-per-minute 30] [--upload-burst 10] [--max-upload-bytes 33554432]
symphony-registry add-publisher (--dir <folder> | --registry <url> --admin-token <t>) --name <publisher> --namespace <ns> --key <file.pub.json | base64url>

  A running server keeps its state in memory: register publishers on it with --registry and its
  admin token (PUT /-/publishers/<name>); --dir is for a registry folder no server is serving
  (while one does, <folder>/serving.json names it and add-publisher --dir refuses, E_CONFLICT).`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'admin-token': { type: 'string' },
      registry: { type: 'string' },
      'base-path': { type: 'string' },
      name: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      key: { type: 'string', multiple: true },
      'reserved-namespace': { type: 'string', multiple: true },
      'uploads-per-minute': { type: 'string' },
      'upload-burst': { type: 'string' },
      'max-upload-bytes': { type: 'string' },
    },
  });
  if (command === 'add-publisher' && values.registry) {
    await addPublisherRemote(values.registry, values['admin-token'], values.name ?? '', values.namespace ?? [], await readKeys(values.key ?? []));
    return;
  }
  if (!values.dir || (command !== 'serve' && command !== 'add-publisher')) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const dir = values.dir;
  if (command === 'add-publisher') {
    // A server holds the folder's state in memory: a publisher written behind its back would be
    // one it never sees (publishing then fails E_NAMESPACE_UNOWNED). Say so, and how to do it.
    const live = await liveServer(dir);
    if (live) throw servedError(dir, live, 'add a publisher to it through the server: symphony-registry add-publisher --registry ' + (live.url ?? '<its url>') + ' --admin-token <the token it started with> --name … --namespace … --key …');
  } else await claim(dir);
  const registry = await openRegistry({ dir, ...(values['reserved-namespace'] ? { reservedNamespaces: values['reserved-namespace'] } : {}) });
  if (command === 'add-publisher') {
    const publicKeys = await readKeys(values.key ?? []);
    const publisher = await registry.registerPublisher({ name: values.name ?? '', namespaces: values.namespace ?? [], publicKeys });
    process.stdout.write(`${JSON.stringify(publisher)}\n`);
    return;
  }
  const served = await serveRegistry(registry, {
    port: Number(values.port ?? 0),
    host: values.host ?? '127.0.0.1',
    ...(values['admin-token'] ? { adminToken: values['admin-token'] } : {}),
    ...(values['base-path'] ? { basePath: values['base-path'] } : {}),
    ...(values['max-upload-bytes'] ? { maxUploadBytes: positive(values['max-upload-bytes'], '--max-upload-bytes') } : {}),
    uploadLimit: {
      ...(values['uploads-per-minute'] ? { perMinute: positive(values['uploads-per-minute'], '--uploads-per-minute') } : {}),
      ...(values['upload-burst'] ? { burst: positive(values['upload-burst'], '--upload-burst') } : {}),
    },
  });
  await record(dir, { pid: process.pid, url: served.url });
  // Handlers first: a supervisor may send SIGTERM the moment it reads the line below.
  const stop = () => void served.close().then(() => rm(join(dir, SERVING), { force: true })).then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // One machine-readable line, so scripts and tests can wait for it.
  process.stdout.write(`symphony-registry listening ${served.url}\n`);
}

/** `<dir>/serving.json`: the process serving the folder, from its start until it stops. */
const SERVING = 'serving.json';

interface Serving {
  pid: number;
  url?: string;
}

/** The server recorded in the folder, if its process is still alive (a killed one leaves a stale file). */
async function liveServer(dir: string): Promise<Serving | undefined> {
  let serving: Serving;
  try {
    serving = JSON.parse(await readFile(join(dir, SERVING), 'utf8')) as Serving;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(serving?.pid) || serving.pid <= 0) return undefined;
  try {
    process.kill(serving.pid, 0);
    return serving;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? serving : undefined;
  }
}

function servedError(dir: string, live: Serving, what: string): SymphonyError {
  return new SymphonyError('E_CONFLICT', `the registry folder ${dir} is served by process ${live.pid}${live.url ? ` at ${live.url}` : ''}; ${what} (if no server runs, remove ${join(dir, SERVING)})`, {
    details: { dir, pid: live.pid, ...(live.url ? { url: live.url } : {}) },
  });
}

/** Replaces the record whole (a reader never sees half of it). */
async function record(dir: string, serving: Serving): Promise<void> {
  const temp = join(dir, `${SERVING}.${process.pid}.tmp`);
  await writeFile(temp, `${JSON.stringify(serving)}\n`);
  await rename(temp, join(dir, SERVING));
}

/** One server per folder: two would each keep their own state in memory and overwrite each other's files. */
async function claim(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${SERVING}.${process.pid}.tmp`);
  await writeFile(temp, `${JSON.stringify({ pid: process.pid })}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        // A hard link appears whole or not at all (EEXIST): two servers starting at once cannot both
        // claim the folder, and neither reads a record half written.
        await link(temp, join(dir, SERVING));
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const live = await liveServer(dir);
        if (live && live.pid !== process.pid) throw servedError(dir, live, 'stop it first, or serve another folder');
        await rm(join(dir, SERVING), { force: true }); // left by a server that was killed
      }
    }
    throw new SymphonyError('E_CONFLICT', `cannot claim the registry folder ${dir}: another server is starting on it`, { details: { dir } });
  } finally {
    await rm(temp, { force: true });
  }
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new SymphonyError('E_USAGE', `${flag} needs a positive number, got "${text}"`, { details: { flag } });
  return n;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Node's parseArgs errors (unknown option, missing value) are usage errors: exit 2.
  const code = (error as { code?: unknown } | null)?.code;
  const e = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') ? new SymphonyError('E_USAGE', (error as Error).message) : toSymphonyError(error);
  process.stderr.write(`error ${e.code}: ${e.message}\n`);
  process.exitCode = e.code === 'E_USAGE' ? 2 : 1;
});

async function readKeys(keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const key of keys) out.push(key.endsWith('.json') ? (JSON.parse(await readFile(key, 'utf8')) as { publicKey: string }).publicKey : key);
  return out;
}

/** `PUT /-/publishers/<name>` on a running server, with its admin token. */
async function addPublisherRemote(registry: string, token: string | undefined, name: string, namespaces: string[], publicKeys: string[]): Promise<void> {
  if (!token) {
    process.stderr.write('error E_USAGE: add-publisher --registry needs --admin-token (the token the server was started with)\n');
    process.exitCode = 2;
    return;
  }
  const target = new URL(`-/publishers/${encodeURIComponent(name)}`, registry.endsWith('/') ? registry : `${registry}/`);
  const response = await fetch(target, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ namespaces, publicKeys }),
  });
  const body = await response.text();
  if (!response.ok) {
    const error = (() => { try { return (JSON.parse(body) as { error?: { code?: string; message?: string } }).error; } catch { return undefined; } })();
    process.stderr.write(`error ${error?.code ?? 'E_REGISTRY_FAILED'}: ${error?.message ?? `the registry answered ${response.status}`}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${body.trim()}\n`);
}
