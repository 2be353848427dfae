import { readFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { keyIdOf, publicKeyObject, readPackage, summarizePermissions, registryRequestText, tarballName, verifyText, type SignedRegistryRequest } from '@symphony/sdk';
import { SymphonyError } from '@symphony/types';
import { createKeyedQueue, readJson, writeFileAtomic } from './fs-atomic.js';
import { createSearchIndex } from './search.js';
import type { Packument, Publisher, SearchHit, SearchOptions, VersionMeta } from './types.js';

export interface RegistryOptions {
  /** The folder that holds everything: `publishers.json` and `packages/<id>/`. */
  dir: string;
  /** How old a signed deprecate/yank/dist-tag request may be (replay window). */
  requestMaxAgeMs?: number;
  now?: () => Date;
}

export interface PublishOptions {
  /** The integrity the publisher computed at pack time; a mismatch is refused. */
  integrity?: string;
  /** Dist-tag to point at this version; default `latest` (or `next` for a pre-release). */
  tag?: string;
}

export interface Registry {
  readonly dir: string;
  publish(tarball: Buffer, options?: PublishOptions): Promise<VersionMeta>;
  packument(id: string): Promise<Packument>;
  /** A version, a range (`^1.2`) or a dist-tag (`latest`, `next`) → the version's metadata. */
  resolve(id: string, spec?: string): Promise<VersionMeta>;
  /** The tarball bytes of one exact version; counts a download (written in the background). */
  tarball(id: string, version: string): Promise<{ data: Buffer; meta: VersionMeta }>;
  /** Resolves when every background write (download counts) has landed. */
  flush(): Promise<void>;
  deprecate(id: string, version: string, message: string): Promise<VersionMeta>;
  yank(id: string, version: string, yanked?: boolean): Promise<VersionMeta>;
  setDistTag(id: string, tag: string, version: string): Promise<Packument>;
  /** Applies a deprecate/yank/dist-tag request signed by a key of the namespace's publisher. */
  applySignedRequest(request: SignedRegistryRequest): Promise<unknown>;
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>;
  registerPublisher(input: { name: string; namespaces: string[]; publicKeys: string[] }): Promise<Publisher>;
  publishers(): Promise<Publisher[]>;
  list(): Promise<string[]>;
}

const ID = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

export function namespaceOf(id: string): string {
  return id.slice(0, id.indexOf('.'));
}

export async function openRegistry(options: RegistryOptions): Promise<Registry> {
  const dir = options.dir;
  const now = options.now ?? (() => new Date());
  const maxAge = options.requestMaxAgeMs ?? 5 * 60_000;
  const queue = createKeyedQueue();
  const background = new Set<Promise<void>>();
  const packuments = new Map<string, Packument>();
  const index = createSearchIndex();
  const publishersPath = join(dir, 'publishers.json');
  let publishers: Record<string, Publisher> = (await readJson<{ publishers: Record<string, Publisher> }>(publishersPath))?.publishers ?? {};

  await mkdir(join(dir, 'packages'), { recursive: true });
  for (const id of await readdir(join(dir, 'packages'))) {
    const packument = await readJson<Packument>(join(dir, 'packages', id, 'packument.json'));
    if (packument) {
      packuments.set(id, packument);
      index.update(packument);
    }
  }

  const packageDir = (id: string) => join(dir, 'packages', id);

  function get(id: string): Packument {
    const packument = ID.test(id) ? packuments.get(id) : undefined;
    if (!packument) throw new SymphonyError('E_NOT_FOUND', `no package "${id}" in this registry`, { details: { id } });
    return packument;
  }

  function version(packument: Packument, v: string): VersionMeta {
    const meta = packument.versions[v];
    if (!meta) {
      throw new SymphonyError('E_NOT_FOUND', `${packument.id} has no version ${v} (has ${Object.keys(packument.versions).join(', ')})`, {
        details: { id: packument.id, version: v },
      });
    }
    return meta;
  }

  async function save(packument: Packument): Promise<void> {
    packument.modified = now().toISOString();
    await writeFileAtomic(join(packageDir(packument.id), 'packument.json'), JSON.stringify(packument, null, 1));
    packuments.set(packument.id, packument);
    index.update(packument);
  }

  function ownerOf(namespace: string): Publisher | undefined {
    return Object.values(publishers).find((p) => p.namespaces.includes(namespace));
  }

  /** The publisher that owns the id's namespace, if `publicKey` is one of its keys; else a refusal. */
  function authorize(id: string, publicKey: string): Publisher {
    const namespace = namespaceOf(id);
    const owner = ownerOf(namespace);
    const keyId = keyIdOf(publicKey);
    if (!owner) {
      throw new SymphonyError('E_NAMESPACE_UNOWNED', `no publisher owns the namespace "${namespace}"; register one with this key first`, {
        details: { id, namespace, keyId },
      });
    }
    if (!owner.keys.some((k) => k.publicKey === publicKey)) {
      const signer = Object.values(publishers).find((p) => p.keys.some((k) => k.publicKey === publicKey));
      throw new SymphonyError('E_NAMESPACE_FORBIDDEN', `${signer ? `publisher "${signer.name}"` : `key ${keyId}`} does not own the namespace "${namespace}" (owned by "${owner.name}")`, {
        details: { id, namespace, keyId, owner: owner.name, signer: signer?.name },
      });
    }
    return owner;
  }

  async function publish(tarball: Buffer, opts: PublishOptions = {}): Promise<VersionMeta> {
    const pkg = await readPackage(tarball, { source: 'the uploaded package', ...(opts.integrity ? { integrity: opts.integrity } : {}) });
    const { id, version: v, manifest } = pkg;
    if (!ID.test(id) || !semver.valid(v)) {
      throw new SymphonyError('E_MANIFEST_INVALID', `"${id}@${v}" is not a valid extension id and semver version`, { details: { id, version: v } });
    }
    const owner = authorize(id, pkg.signature.publicKey);
    return queue(id, async () => {
      const existing = packuments.get(id);
      if (existing?.versions[v]) {
        throw new SymphonyError('E_VERSION_EXISTS', `${id}@${v} is already published; versions are immutable, bump the version`, {
          details: { id, version: v },
        });
      }
      const stamp = now().toISOString();
      const packageJson = pkg.packageJson ?? {};
      const meta: VersionMeta = {
        id,
        version: v,
        kind: String(manifest.kind),
        keywords: stringList(manifest.keywords ?? packageJson.keywords),
        permissions: summarizePermissions(manifest.permissions ?? {}),
        permissionsRaw: (manifest.permissions as Record<string, unknown> | undefined) ?? {},
        engines: { ...(manifest.engines?.symphony ? { symphony: manifest.engines.symphony } : {}) },
        dependencies: { ...(manifest.dependencies ?? {}) },
        integrity: pkg.integrity,
        tarball: tarballName(id, v),
        size: tarball.length,
        fileCount: pkg.files.length,
        publisher: owner.name,
        keyId: pkg.signature.keyId,
        publishedAt: stamp,
        downloads: 0,
      };
      const name = manifest.name ?? packageJson.name;
      const description = manifest.description ?? packageJson.description;
      if (typeof name === 'string') meta.name = name;
      if (typeof description === 'string') meta.description = description;
      if (pkg.readme) meta.readme = pkg.readme;

      const packument: Packument = existing
        ? structuredClone(existing)
        : { id, publisher: owner.name, distTags: {}, versions: {}, created: stamp, modified: stamp };
      packument.versions[v] = meta;
      const tag = opts.tag ?? (semver.prerelease(v) ? 'next' : 'latest');
      const current = packument.distTags[tag];
      // `latest` only moves forward on its own; an explicit tag always moves.
      if (opts.tag || !current || semver.gt(v, current)) packument.distTags[tag] = v;
      await writeFileAtomic(join(packageDir(id), meta.tarball), tarball);
      await save(packument);
      return meta;
    });
  }

  async function resolve(id: string, spec = 'latest'): Promise<VersionMeta> {
    const packument = get(id);
    if (packument.versions[spec]) return packument.versions[spec] as VersionMeta;
    const tagged = packument.distTags[spec];
    if (tagged) return version(packument, tagged);
    const range = semver.validRange(spec);
    if (!range) {
      throw new SymphonyError('E_INPUT_INVALID', `"${spec}" is neither a version, a semver range nor a dist-tag of ${id} (tags: ${Object.keys(packument.distTags).join(', ')})`, {
        details: { id, spec },
      });
    }
    const live = Object.values(packument.versions).filter((m) => !m.yanked).map((m) => m.version);
    const best = semver.maxSatisfying(live, range);
    if (!best) {
      throw new SymphonyError('E_NO_MATCHING_VERSION', `no version of ${id} satisfies "${spec}" (available: ${live.join(', ') || 'none'})`, {
        details: { id, spec, available: live },
      });
    }
    return version(packument, best);
  }

  async function mutate(id: string, v: string, change: (meta: VersionMeta, p: Packument) => void): Promise<VersionMeta> {
    return queue(id, async () => {
      const packument = structuredClone(get(id));
      const meta = version(packument, v);
      change(meta, packument);
      await save(packument);
      return meta;
    });
  }

  const registry: Registry = {
    dir,
    publish,
    async packument(id) {
      return structuredClone(get(id));
    },
    resolve,
    async tarball(id, v) {
      const meta = version(get(id), v);
      const data = await readFile(join(packageDir(id), meta.tarball));
      // Counting is best-effort and off the download's path: a lost count never fails a download.
      const counted = mutate(id, v, (m) => {
        m.downloads += 1;
      }).then(() => undefined, () => undefined);
      background.add(counted);
      void counted.then(() => background.delete(counted));
      return { data, meta };
    },
    async flush() {
      await Promise.all([...background]);
    },
    deprecate: (id, v, message) =>
      mutate(id, v, (meta) => {
        if (message) meta.deprecated = message;
        else delete meta.deprecated;
      }),
    yank: (id, v, yanked = true) =>
      mutate(id, v, (meta) => {
        if (yanked) meta.yanked = true;
        else delete meta.yanked;
      }),
    async setDistTag(id, tag, v) {
      if (semver.validRange(tag) && !/^[a-z]/i.test(tag)) {
        throw new SymphonyError('E_INPUT_INVALID', `"${tag}" looks like a version or range; dist-tags are names like latest or next`, { details: { id, tag } });
      }
      await mutate(id, v, (_meta, p) => {
        p.distTags[tag] = v;
      });
      return structuredClone(get(id));
    },
    async applySignedRequest(request) {
      const age = now().getTime() - request.timestamp;
      if (!(age >= -60_000 && age <= maxAge)) {
        throw new SymphonyError('E_REQUEST_EXPIRED', `the signed request is ${Math.round(age / 1000)} s old; sign a fresh one`, {
          details: { id: request.id, timestamp: request.timestamp },
        });
      }
      if (keyIdOf(request.publicKey) !== request.keyId || !verifyText(request.publicKey, registryRequestText(request), request.signature)) {
        throw new SymphonyError('E_SIGNATURE_INVALID', `the ${request.action} request for ${request.id} is not signed by the key it names`, {
          details: { id: request.id, keyId: request.keyId },
        });
      }
      authorize(request.id, request.publicKey);
      switch (request.action) {
        case 'deprecate': return registry.deprecate(request.id, request.version, request.argument || 'deprecated');
        case 'undeprecate': return registry.deprecate(request.id, request.version, '');
        case 'yank': return registry.yank(request.id, request.version, true);
        case 'unyank': return registry.yank(request.id, request.version, false);
        case 'dist-tag': return registry.setDistTag(request.id, request.argument, request.version);
        default:
          throw new SymphonyError('E_INPUT_INVALID', `unknown registry action "${String(request.action)}"`, { details: { action: request.action } });
      }
    },
    async search(query, opts) {
      return index.search(query, opts);
    },
    async registerPublisher(input) {
      return queue('\0publishers', async () => {
        if (!/^[a-z][a-z0-9-]*$/.test(input.name)) {
          throw new SymphonyError('E_INPUT_INVALID', `publisher name "${input.name}" must be lowercase letters, digits and -`, { details: { name: input.name } });
        }
        for (const ns of input.namespaces) {
          const owner = ownerOf(ns);
          if (owner && owner.name !== input.name) {
            throw new SymphonyError('E_NAMESPACE_FORBIDDEN', `namespace "${ns}" already belongs to publisher "${owner.name}"`, { details: { namespace: ns, owner: owner.name } });
          }
        }
        const previous = publishers[input.name];
        const stamp = now().toISOString();
        const keys = [...(previous?.keys ?? [])];
        for (const publicKey of input.publicKeys) {
          publicKeyObject(publicKey); // E_KEY_INVALID names the bad key
          const keyId = keyIdOf(publicKey);
          if (!keys.some((k) => k.keyId === keyId)) keys.push({ keyId, publicKey, addedAt: stamp });
        }
        const publisher: Publisher = { name: input.name, namespaces: [...new Set([...(previous?.namespaces ?? []), ...input.namespaces])], keys };
        const next = { ...publishers, [input.name]: publisher };
        await writeFileAtomic(publishersPath, JSON.stringify({ publishers: next }, null, 1));
        publishers = next;
        return publisher;
      });
    },
    async publishers() {
      return Object.values(publishers);
    },
    async list() {
      return [...packuments.keys()].sort();
    },
  };
  return registry;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

