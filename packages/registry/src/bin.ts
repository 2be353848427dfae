#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import { openRegistry } from './registry.js';
import { serveRegistry } from './http.js';

const USAGE = `symphony-registry serve --dir <folder> [--port 0] [--host 127.0.0.1] [--admin-token <t>] [--base-path /]
    [--reserved-namespace <ns>]... [--uploads-per-minute 30] [--upload-burst 10] [--max-upload-bytes 33554432]
symphony-registry add-publisher (--dir <folder> | --registry <url> --admin-token <t>) --name <publisher> --namespace <ns> --key <file.pub.json | base64url>

  A running server keeps its state in memory: register publishers on it with --registry and its
  admin token (PUT /-/publishers/<name>); --dir is for a registry folder no server is serving.`;

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
  const registry = await openRegistry({ dir: values.dir, ...(values['reserved-namespace'] ? { reservedNamespaces: values['reserved-namespace'] } : {}) });
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
  // One machine-readable line, so scripts and tests can wait for it.
  process.stdout.write(`symphony-registry listening ${served.url}\n`);
  const stop = () => void served.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new SymphonyError('E_USAGE', `${flag} needs a positive number, got "${text}"`, { details: { flag } });
  return n;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const e = toSymphonyError(error);
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
