import { readFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { keyIdOf, publicKeyObject, readPackage, summarizePermissions, registryRequestText, tarballName, verifyText, type SignedRegistryRequest } from '@symphony/sdk';
import { SymphonyError } from '@symphony/types';
import { createKeyedQueue, readJson, writeFileAtomic } from './fs-atomic.js';
import { createSearchIndex } from './search.js';
import { loadRegistryKey, metadataDocument, signFreshness, signMetadata, signatureCurrent, signedTimestamp } from './metadata.js';
import type { Packument, Publisher, SearchHit, SearchOptions, VersionMeta } from './types.js';

export interface RegistryOptions {
  /** The folder that holds everything: `publishers.json` and `packages/<id>/`. */
  dir: string;
  /** How old a signed deprecate/yank/dist-tag request may be (replay window). */
  requestMaxAgeMs?: number;
  /** Namespaces nobody may register or publish under, on top of `symphony` (always reserved). */
  reservedNamespaces?: string[];
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
  /** The public half of the key that signs this registry's metadata (clients pin it). */
  readonly key: { keyId: string; publicKey: string };
  /** Namespaces nobody may publish under (`symphony` plus the operator's). */
  readonly reservedNamespaces: readonly string[];
}

const ID = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/;
const NAME = /^[a-z][a-z0-9-]*$/;
const TAG = /^[a-z][a-z0-9._-]{0,63}$/i;
/** Names that mean something on every plain object: never a key, a tag or a publisher. */
const PROTO_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
export const RESERVED_NAMESPACES: readonly string[] = ['symphony'];

/** `record[key]` only when the key is the record's own (never `constructor`, `__proto__`, ...). */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function invalidInput(message: string, details: Record<string, unknown>): SymphonyError {
  return new SymphonyError('E_INPUT_INVALID', message, { details });
}

/** A version as a lookup key: exactly a semver version, or a 400. */
function checkVersion(id: string, v: unknown): string {
  if (typeof v !== 'string' || semver.valid(v) !== v) throw invalidInput(`"${String(v)}" is not a semver version of ${id}`, { id, version: v });
  return v;
}

function checkTag(id: string, tag: unknown): string {
  if (typeof tag !== 'string' || !TAG.test(tag) || PROTO_NAMES.has(tag) || semver.validRange(tag) !== null) {
    throw invalidInput(`"${String(tag)}" is not a dist-tag name (letters first, like latest or next; not a version or range)`, { id, tag });
  }
  return tag;
}

export function namespaceOf(id: string): string {
  return id.slice(0, id.indexOf('.'));
}

export async function openRegistry(options: RegistryOptions): Promise<Registry> {
  const dir = options.dir;
  const now = options.now ?? (() => new Date());
  const maxAge = options.requestMaxAgeMs ?? 5 * 60_000;
  const reserved = [...new Set([...RESERVED_NAMESPACES, ...(options.reservedNamespaces ?? [])])];
  const queue = createKeyedQueue();
  const background = new Set<Promise<void>>();
  const packuments = new Map<string, Packument>();
  const index = createSearchIndex();
  const publishersPath = join(dir, 'publishers.json');
  // A Map, so a publisher named like an Object.prototype member can never reach the prototype.
  let publishers = new Map<string, Publisher>(Object.entries((await readJson<{ publishers: Record<string, Publisher> }>(publishersPath))?.publishers ?? {}));

  await mkdir(join(dir, 'packages'), { recursive: true });
  const key = await loadRegistryKey(dir);
  let lastTimestamp = 0;
  const stale: Packument[] = [];
  for (const id of await readdir(join(dir, 'packages'))) {
    if (!ID.test(id)) continue;
    // Half-written files of a process killed mid-write: never renamed into place, safe to drop.
    for (const name of await readdir(join(dir, 'packages', id)).catch(() => [] as string[])) {
      if (name.endsWith('.tmp')) await rm(join(dir, 'packages', id, name), { force: true });
    }
    const packument = await readJson<Packument>(join(dir, 'packages', id, 'packument.json'));
    if (packument && packument.id === id) {
      packuments.set(id, packument);
      index.update(packument);
      lastTimestamp = Math.max(lastTimestamp, signedTimestamp(packument));
      if (!signatureCurrent(packument, key)) stale.push(packument);
    }
  }

  const packageDir = (id: string) => join(dir, 'packages', id);

  /** Strictly increasing across every signature this registry makes, restarts included. */
  function nextTimestamp(): number {
    lastTimestamp = Math.max(lastTimestamp + 1, now().getTime());
    return lastTimestamp;
  }

  function sign(packument: Packument): void {
    packument.signed = signMetadata(key, metadataDocument(packument, key.keyId, nextTimestamp()));
  }

  function checkId(id: unknown): string {
    if (typeof id !== 'string' || !ID.test(id)) throw invalidInput(`"${String(id)}" is not an extension id (<namespace>.<name>, lowercase)`, { id });
    return id;
  }

  function checkNamespaceFree(namespace: string, details: Record<string, unknown>): void {
    if (reserved.includes(namespace)) {
      throw new SymphonyError('E_NAMESPACE_RESERVED', `the namespace "${namespace}" is reserved (${reserved.join(', ')}); nobody may publish under it`, {
        details: { ...details, namespace, reserved },
      });
    }
  }

  function get(id: string): Packument {
    const packument = packuments.get(checkId(id));
    if (!packument) throw new SymphonyError('E_NOT_FOUND', `no package "${id}" in this registry`, { details: { id } });
    return packument;
  }

  function version(packument: Packument, v: string): VersionMeta {
    const meta = own(packument.versions, checkVersion(packument.id, v));
    if (!meta) {
      throw new SymphonyError('E_NOT_FOUND', `${packument.id} has no version ${v} (has ${Object.keys(packument.versions).join(', ')})`, {
        details: { id: packument.id, version: v },
      });
    }
    return meta;
  }

  async function save(packument: Packument, resign = true): Promise<void> {
    packument.modified = now().toISOString();
    if (resign || !signatureCurrent(packument, key)) sign(packument);
    await writeFileAtomic(join(packageDir(packument.id), 'packument.json'), JSON.stringify(packument, null, 1));
    packuments.set(packument.id, packument);
    index.update(packument);
  }

  function ownerOf(namespace: string): Publisher | undefined {
    return [...publishers.values()].find((p) => p.namespaces.includes(namespace));
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
      const signer = [...publishers.values()].find((p) => p.keys.some((k) => k.publicKey === publicKey));
      throw new SymphonyError('E_NAMESPACE_FORBIDDEN', `${signer ? `publisher "${signer.name}"` : `key ${keyId}`} does not own the namespace "${namespace}" (owned by "${owner.name}")`, {
        details: { id, namespace, keyId, owner: owner.name, signer: signer?.name },
      });
    }
    return owner;
  }

  async function publish(tarball: Buffer, opts: PublishOptions = {}): Promise<VersionMeta> {
    const pkg = await readPackage(tarball, { source: 'the uploaded package', ...(opts.integrity ? { integrity: opts.integrity } : {}) });
    const { id, version: v, manifest } = pkg;
    if (!ID.test(id) || semver.valid(v) !== v) {
      throw new SymphonyError('E_MANIFEST_INVALID', `"${id}@${v}" is not a valid extension id and semver version`, { details: { id, version: v } });
    }
    checkNamespaceFree(namespaceOf(id), { id });
    if (opts.tag !== undefined) checkTag(id, opts.tag);
    const owner = authorize(id, pkg.signature.publicKey);
    return queue(id, async () => {
      const existing = packuments.get(id);
      if (existing && own(existing.versions, v)) {
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
        dependencies: Object.fromEntries(Object.entries(manifest.dependencies ?? {})),
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
      const current = own(packument.distTags, tag);
      // `latest` only moves forward on its own; an explicit tag always moves.
      if (opts.tag || !current || semver.gt(v, current)) packument.distTags[tag] = v;
      await writeFileAtomic(join(packageDir(id), meta.tarball), tarball);
      await save(packument);
      return meta;
    });
  }

  async function resolve(id: string, spec = 'latest'): Promise<VersionMeta> {
    const packument = get(id);
    if (typeof spec !== 'string') throw invalidInput(`the version spec of ${id} must be a string`, { id });
    const exact = semver.valid(spec) === spec ? own(packument.versions, spec) : undefined;
    if (exact) return exact;
    const tagged = TAG.test(spec) && !PROTO_NAMES.has(spec) ? own(packument.distTags, spec) : undefined;
    if (tagged) return version(packument, tagged);
    const range = PROTO_NAMES.has(spec) ? null : semver.validRange(spec);
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

  async function mutate(id: string, v: string, change: (meta: VersionMeta, p: Packument) => void, resign = true): Promise<VersionMeta> {
    get(id);
    checkVersion(id, v);
    return queue(id, async () => {
      const packument = structuredClone(get(id));
      const meta = version(packument, v);
      change(meta, packument);
      await save(packument, resign);
      return meta;
    });
  }

  // Packuments written before metadata was signed (or edited on disk) are signed afresh on open.
  for (const packument of stale) await save(packument);

  const registry: Registry = {
    dir,
    key: { keyId: key.keyId, publicKey: key.publicKey },
    reservedNamespaces: reserved,
    publish,
    async packument(id) {
      const copy = structuredClone(get(id));
      copy.fresh = signFreshness(key, copy, now().getTime());
      return copy;
    },
    resolve,
    async tarball(id, v) {
      const meta = version(get(id), v);
      const data = await readFile(join(packageDir(id), meta.tarball));
      // Counting is best-effort and off the download's path: a lost count never fails a download.
      const counted = mutate(id, v, (m) => {
        m.downloads += 1;
      }, false).then(() => undefined, () => undefined);
      background.add(counted);
      void counted.then(() => background.delete(counted));
      return { data, meta };
    },
    async flush() {
      await Promise.all([...background]);
    },
    deprecate: (id, v, message) =>
      mutate(id, v, (meta) => {
        if (typeof message !== 'string') throw invalidInput('a deprecation message must be a string', { id, version: v });
        if (message) meta.deprecated = message.slice(0, 1000);
        else delete meta.deprecated;
      }),
    yank: (id, v, yanked = true) =>
      mutate(id, v, (meta) => {
        if (yanked) meta.yanked = true;
        else delete meta.yanked;
      }),
    async setDistTag(id, tag, v) {
      checkTag(id, tag);
      await mutate(id, v, (_meta, p) => {
        p.distTags[tag] = v;
      });
      return structuredClone(get(id));
    },
    async applySignedRequest(request) {
      if (!request || typeof request !== 'object' || typeof request.timestamp !== 'number' || typeof request.publicKey !== 'string'
        || typeof request.signature !== 'string' || typeof request.keyId !== 'string' || typeof request.version !== 'string') {
        throw invalidInput('a signed registry request needs action, id, version, argument, keyId, timestamp, publicKey and signature', {});
      }
      checkId(request.id);
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
        if (typeof input.name !== 'string' || !NAME.test(input.name) || PROTO_NAMES.has(input.name)) {
          throw new SymphonyError('E_INPUT_INVALID', `publisher name "${input.name}" must be lowercase letters, digits and -`, { details: { name: input.name } });
        }
        if (!Array.isArray(input.namespaces) || !Array.isArray(input.publicKeys)) throw invalidInput('namespaces and publicKeys must be lists', { name: input.name });
        for (const ns of input.namespaces) {
          if (typeof ns !== 'string' || !NAME.test(ns) || PROTO_NAMES.has(ns)) throw invalidInput(`namespace "${String(ns)}" must be lowercase letters, digits and -`, { namespace: ns });
          checkNamespaceFree(ns, { publisher: input.name });
          const owner = ownerOf(ns);
          if (owner && owner.name !== input.name) {
            throw new SymphonyError('E_NAMESPACE_FORBIDDEN', `namespace "${ns}" already belongs to publisher "${owner.name}"`, { details: { namespace: ns, owner: owner.name } });
          }
        }
        const previous = publishers.get(input.name);
        const stamp = now().toISOString();
        const keys = [...(previous?.keys ?? [])];
        for (const publicKey of input.publicKeys) {
          publicKeyObject(publicKey); // E_KEY_INVALID names the bad key
          const keyId = keyIdOf(publicKey);
          if (!keys.some((k) => k.keyId === keyId)) keys.push({ keyId, publicKey, addedAt: stamp });
        }
        const publisher: Publisher = { name: input.name, namespaces: [...new Set([...(previous?.namespaces ?? []), ...input.namespaces])], keys };
        const next = new Map(publishers).set(input.name, publisher);
        await writeFileAtomic(publishersPath, JSON.stringify({ publishers: Object.fromEntries(next) }, null, 1));
        publishers = next;
        return publisher;
      });
    },
    async publishers() {
      return [...publishers.values()];
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

