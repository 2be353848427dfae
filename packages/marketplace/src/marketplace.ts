import { join } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import semver from 'semver';
import { readPackage, summarizePermissions, writePackageFiles, type VerifiedPackage } from '@symphony/sdk';
import { isPackageName } from '@symphony/sandbox';
import { SymphonyError, isSymphonyError } from '@symphony/types';
import { createRegistryClient, type RegistryClient, type RemotePackument, type RemoteSearchHit, type RemoteVersion } from './registry-client.js';
import { resolveTree, type RootRequest } from './resolve.js';
import { createNpmRegistryClient, isNpmRegistry } from './npm-client.js';
import { addTrust, assertTrustedSigner, emptyTrust, holdersOf, signerTrusted, type TrustFile } from './trust.js';
import { DEFAULT_MAX_METADATA_AGE_MS, verifyMetadata } from './metadata.js';
import { admitMetadata, readRegistryState, saveRegistryState, type RegistryState } from './registry-state.js';
import { verifyStoreEntry } from './store-verify.js';
import { PROTO_NAMES, nullRecord, own } from './own.js';
import { sandboxedStartCheck, type StartCandidate } from './start-check.js';
import { withHomeLock, writeJsonAtomic } from './home-lock.js';
import {
  LOCKFILE, collectGarbage, commitGeneration, commitStoreEntry, currentGeneration, hasStoreEntry, paths, prepare,
  readLockfile, stagingDir, storeName, switchTo, type LockEntry, type Lockfile, type Paths,
} from './layout.js';

export interface ConsentRequest {
  id: string;
  version: string;
  previousVersion?: string;
  publisher: string;
  /** Every permission the version asks for, one line each (`fs.read: ${workspace}`). */
  permissions: string[];
  /** The ones not consented to before: all of them for a new install, the escalation for an update. */
  added: string[];
}

export type ProgressStep = 'resolved' | 'downloaded' | 'verified' | 'staged' | 'committed' | 'checked';
export interface ProgressEvent {
  step: ProgressStep;
  id?: string;
  version?: string;
}

export interface MarketplaceOptions {
  /** The Symphony home this installation lives in; extensions end up in `<home>/extensions`. */
  home: string;
  /** Registry base URLs, asked in order: the first that has a package serves it. */
  registries: string[];
  /** Asked once per operation with every permission that needs consent; false refuses the whole operation. */
  consent?: (requests: ConsentRequest[]) => boolean | Promise<boolean>;
  /**
   * Runs after the new set is live; a throw rolls back to the previous set. Default:
   * `sandboxedStartCheck` (each changed extension started in its sandbox, as a real start does).
   */
  startCheck?: (candidates: StartCandidate[]) => Promise<void>;
  /** `${workspace}` for the default start check (default: a fresh empty folder). */
  workspace?: string;
  /** The default start check's sandbox: `auto` (default), `off` (degraded), `require`. */
  bubblewrap?: 'auto' | 'off' | 'require';
  /** The running Symphony version, matched against `engines.symphony`. */
  symphonyVersion?: string;
  onProgress?: (event: ProgressEvent) => void;
  fetch?: typeof fetch;
  /** Per registry request, first byte to last (default 60 s); answers are also capped in size (`CLIENT_LIMITS`). */
  requestTimeoutMs?: number;
  /** How old a registry's freshness signature may be before its metadata is refused (`E_METADATA_EXPIRED`); default 24 h. */
  maxMetadataAgeMs?: number;
  /** The clock freshness is judged by (default `Date.now`). */
  now?: () => number;
  /**
   * The public key each registry signs its metadata with, by URL. A registry not listed is
   * pinned on first use (its key is remembered in `.marketplace/registries.json`).
   */
  registryKeys?: Record<string, string>;
  /** Namespaces served by the host itself, never installed from a registry; `symphony` always is. */
  reservedNamespaces?: string[];
}

export interface InstallReport {
  added: Array<{ id: string; version: string }>;
  updated: Array<{ id: string; from: string; to: string }>;
  removed: Array<{ id: string; version: string }>;
  unchanged: string[];
  warnings: string[];
  generation: number;
}

export interface InstalledExtension extends LockEntry {
  id: string;
  /** Where the host loads it from: `<home>/extensions/<id>`. */
  dir: string;
}

export interface OutdatedRow {
  id: string;
  current: string;
  /** Highest version within the requested range (or the dependents' ranges). */
  wanted: string;
  latest: string;
}

export interface Marketplace {
  readonly home: string;
  readonly extensionsDir: string;
  readonly lockfilePath: string;
  search(query: string, options?: { limit?: number; kind?: string }): Promise<Array<RemoteSearchHit & { registry: string }>>;
  info(id: string): Promise<RemotePackument & { registry: string }>;
  install(specs: string | string[], options?: { consent?: MarketplaceOptions['consent'] }): Promise<InstallReport>;
  update(ids?: string[], options?: { consent?: MarketplaceOptions['consent'] }): Promise<InstallReport>;
  uninstall(id: string): Promise<InstallReport>;
  list(): Promise<InstalledExtension[]>;
  outdated(): Promise<OutdatedRow[]>;
  trust(publisher: string, namespaces: string[], publicKey: string): Promise<void>;
  /**
   * Re-verifies the live installation: the lockfile's own integrity, and every entry against its
   * store folder (signature, file hashes, no extra files, permissions and dependencies exactly the
   * signed manifest's). Throws `E_LOCKFILE_TAMPERED` or `E_FILES_TAMPERED`; run it before starting.
   */
  verify(): Promise<Array<{ id: string; version: string }>>;
}

const ID = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/;
/** Codes after which the next registry is asked instead of failing: this registry cannot serve a trusted, fresh copy. */
const FALL_THROUGH = new Set(['E_METADATA_UNSIGNED', 'E_METADATA_INVALID', 'E_METADATA_ROLLBACK', 'E_METADATA_EXPIRED', 'E_REGISTRY_KEY_CHANGED', 'E_SIGNER_UNTRUSTED', 'E_SIGNER_MISMATCH']);

/** `acme.csv@^1.2` → `{ id: 'acme.csv', spec: '^1.2' }`; a bare id means the `latest` tag. */
export function parseSpec(text: string): RootRequest {
  const at = text.indexOf('@', 1);
  const id = at < 0 ? text : text.slice(0, at);
  const spec = at < 0 ? 'latest' : text.slice(at + 1) || 'latest';
  if (!ID.test(id) || PROTO_NAMES.has(spec) || (spec !== 'latest' && !semver.validRange(spec) && !/^[a-z][a-z0-9._-]{0,63}$/i.test(spec))) {
    throw new SymphonyError('E_INPUT_INVALID', `"${text}" is not <extension-id>[@range|@tag]`, { details: { spec: text } });
  }
  return { id, spec };
}

export async function createMarketplace(options: MarketplaceOptions): Promise<Marketplace> {
  const p = paths(options.home);
  const clients: RegistryClient[] = options.registries.map((url) =>
    isNpmRegistry(url)
      ? createNpmRegistryClient(url, options.fetch)
      : createRegistryClient(url, { ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}) }));
  const trustPath = join(options.home, 'trust.json');
  const progress = (event: ProgressEvent) => options.onProgress?.(event);
  await withHomeLock(p.root, () => prepare(p));
  const defaultCheck = sandboxedStartCheck({ home: options.home, ...(options.workspace ? { workspace: options.workspace } : {}), ...(options.bubblewrap ? { bubblewrap: options.bubblewrap } : {}) });

  async function readTrust(): Promise<TrustFile> {
    try {
      const file = JSON.parse(await readFile(trustPath, 'utf8')) as TrustFile;
      return { publishers: nullRecord(Object.entries(file?.publishers ?? {})) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyTrust();
      throw new SymphonyError('E_TRUST_INVALID', `cannot read ${trustPath}: ${(error as Error).message}`, { details: { path: trustPath }, cause: error });
    }
  }

  const reserved = [...new Set(['symphony', ...(options.reservedNamespaces ?? [])])];
  const statePath = join(p.root, 'registries.json');

  function checkId(id: string): string {
    if (typeof id !== 'string' || !ID.test(id)) throw new SymphonyError('E_INPUT_INVALID', `"${String(id)}" is not an extension id (<namespace>.<name>, lowercase)`, { details: { id } });
    return id;
  }

  function checkNotReserved(id: string): void {
    const namespace = id.slice(0, id.indexOf('.'));
    if (reserved.includes(namespace)) {
      throw new SymphonyError('E_NAMESPACE_RESERVED', `${id} is in the reserved namespace "${namespace}": it ships with Symphony and is never installed from a registry`, {
        details: { id, namespace, reserved },
      });
    }
  }

  /**
   * The first registry that serves signed, fresh metadata for `id` with versions signed by a
   * publisher you trust for its namespace. A registry that fails any of that (a hostile mirror,
   * an untrusted signer) is skipped for the next one; when none qualifies, the first refusal.
   */
  async function findPackument(id: string, state: RegistryState, trust?: TrustFile): Promise<{ packument: RemotePackument; client: RegistryClient }> {
    checkNotReserved(checkId(id));
    const refusals: SymphonyError[] = [];
    for (const client of clients) {
      const raw = await client.packument(id);
      if (!raw) continue;
      try {
        // An npm-protocol registry has no Symphony-signed metadata: its versions are filtered by
        // trust below and each tarball's publisher signature is checked after download; there is
        // no freshness guarantee (see npm-client.ts). Symphony's registries must sign theirs.
        let packument: RemotePackument;
        if (isNpmRegistry(client.url)) packument = raw;
        else {
          const verified = verifyMetadata(raw, id, client.url, { now: (options.now ?? Date.now)(), maxAgeMs: options.maxMetadataAgeMs ?? DEFAULT_MAX_METADATA_AGE_MS });
          admitMetadata(state, client.url, id, verified, own(options.registryKeys, client.url));
          packument = verified.packument;
        }
        if (trust) {
          const versions = nullRecord(Object.entries(packument.versions).filter(([, v]) => signerTrusted(trust, id, v.keyId)));
          if (Object.keys(versions).length === 0) {
            const keyIds = [...new Set(Object.values(packument.versions).map((v) => v.keyId))];
            const signers = [...new Set(keyIds.flatMap((k) => holdersOf(trust, k)))];
            const namespace = id.slice(0, id.indexOf('.'));
            if (signers.length > 0) {
              throw new SymphonyError('E_SIGNER_MISMATCH', `${id} is signed by ${signers.map((n) => `"${n}"`).join(', ')}, who is not trusted for the namespace "${namespace}" (at ${client.url})`, {
                details: { id, namespace, signers, registry: client.url },
              });
            }
            throw new SymphonyError('E_SIGNER_UNTRUSTED', `${client.url} has ${id} only signed by keys you do not trust for its namespace (${[...new Set(Object.values(packument.versions).map((v) => v.keyId))].join(', ')}); trust the publisher's key first (symphony ext trust)`, {
              details: { id, registry: client.url },
            });
          }
          const distTags = nullRecord(Object.entries(packument.distTags).filter(([, v]) => Object.hasOwn(versions, v)));
          packument = { ...packument, versions, distTags };
        }
        return { packument, client };
      } catch (error) {
        if (!isSymphonyError(error) || !FALL_THROUGH.has(error.code)) throw error;
        refusals.push(error);
      }
    }
    if (refusals[0]) throw refusals[0];
    throw new SymphonyError('E_NOT_FOUND', `no registry has ${id} (asked: ${clients.map((c) => c.url).join(', ') || 'no registries configured'})`, {
      details: { id, registries: clients.map((c) => c.url) },
    });
  }

  /** Verifies the live lockfile's entries against their store folders (all but `skip`). */
  async function verifyLive(lock: Lockfile, trust: TrustFile, skip: ReadonlySet<string> = new Set()): Promise<void> {
    for (const [id, entry] of Object.entries(lock.extensions)) {
      if (!skip.has(id)) await verifyStoreEntry(join(p.store, storeName(id, entry.version)), id, entry, trust);
    }
  }

  /** Resolve, fetch, verify, ask consent, stage, switch, check: the one path every change takes. */
  async function apply(
    roots: RootRequest[],
    prefer: Map<string, string>,
    consent: MarketplaceOptions['consent'],
    how: { floor?: boolean; removing?: string } = {},
  ): Promise<InstallReport> {
    return withHomeLock(p.root, async () => {
      const generation = await currentGeneration(p);
      const lock = await readLockfile(p, generation);
      const trust = await readTrust();
      // What is installed must still be what was verified and consented to, before anything builds on it.
      await verifyLive(lock, trust, new Set(how.removing ? [how.removing] : []));
      const state = await readRegistryState(statePath);
      const sources = new Map<string, RegistryClient>();
      const downloaded = new Map<string, VerifiedPackage>();
      const installed = new Map(Object.entries(lock.extensions).map(([id, e]) => [id, e.version]));

      /** Downloads and verifies one version (sha512 from signed metadata, file hashes, publisher signature, trust). */
      async function fetchVerified(meta: RemoteVersion): Promise<VerifiedPackage> {
        const key = `${meta.id}@${meta.version}`;
        const cached = downloaded.get(key);
        if (cached) return cached;
        const client = sources.get(meta.id) as RegistryClient;
        const tarball = await client.tarball(meta);
        progress({ step: 'downloaded', id: meta.id, version: meta.version });
        const pkg = await readPackage(tarball, { integrity: meta.integrity, source: key });
        if (pkg.id !== meta.id || pkg.version !== meta.version) {
          throw new SymphonyError('E_INTEGRITY_MISMATCH', `the registry served ${pkg.id}@${pkg.version} for ${key}`, {
            details: { id: meta.id, version: meta.version, got: `${pkg.id}@${pkg.version}` },
          });
        }
        assertTrustedSigner(trust, meta.id, pkg.signature);
        if (pkg.signature.keyId !== meta.keyId) {
          throw new SymphonyError('E_SIGNER_MISMATCH', `${key} is signed by ${pkg.signature.keyId}, but the registry's signed metadata names ${meta.keyId}`, {
            details: { id: meta.id, version: meta.version, keyId: pkg.signature.keyId, expected: meta.keyId },
          });
        }
        const engine = pkg.manifest.engines?.symphony;
        if (options.symphonyVersion && engine && !semver.satisfies(options.symphonyVersion, engine, { includePrerelease: true })) {
          throw new SymphonyError('E_ENGINE_INCOMPATIBLE', `${key} needs Symphony ${engine} (signed manifest), this is ${options.symphonyVersion}`, {
            details: { id: meta.id, version: meta.version, engines: engine, symphonyVersion: options.symphonyVersion },
          });
        }
        assertDependencyNames(pkg.packageJson, key);
        progress({ step: 'verified', id: meta.id, version: meta.version });
        downloaded.set(key, pkg);
        return pkg;
      }

      const resolved = await resolveTree({
        roots,
        prefer,
        installed,
        ...(how.floor ? { floor: installed } : {}),
        ...(options.symphonyVersion ? { symphonyVersion: options.symphonyVersion } : {}),
        packument: async (id) => {
          const found = await findPackument(id, state, trust);
          sources.set(id, found.client);
          return found.packument;
        },
        // Dependencies come from the publisher-signed manifest: the verified store copy of an
        // installed version (checked above), or the downloaded and verified package.
        dependencies: async (meta) => {
          const entry = own(lock.extensions, meta.id);
          const deps = entry && entry.version === meta.version ? entry.dependencies : (await fetchVerified(meta)).manifest.dependencies ?? {};
          return Object.fromEntries(Object.entries(deps).filter(([dep]) => !reserved.includes(dep.slice(0, dep.indexOf('.')))));
        },
      });
      await saveRegistryState(statePath, state);
      progress({ step: 'resolved' });

      const report: InstallReport = { added: [], updated: [], removed: [], unchanged: [], warnings: [], generation };
      const next: Lockfile = { lockfileVersion: 1, extensions: nullRecord() };
      const fetched: Array<{ meta: RemoteVersion; pkg: VerifiedPackage }> = [];
      const consentRequests: ConsentRequest[] = [];
      const requested = new Map(roots.map((r) => [r.id, r.spec]));

      for (const [id, { meta }] of resolved) {
        const previous = own(lock.extensions, id);
        const root = requested.get(id);
        const requestedRange = root === undefined ? undefined : savedRange(root, meta.version);
        if (meta.deprecated) report.warnings.push(`${id}@${meta.version} is deprecated: ${meta.deprecated}`);
        if (meta.yanked) report.warnings.push(`${id}@${meta.version} was yanked by its publisher; it stays installed until you update or uninstall it`);
        if (previous && previous.version === meta.version) {
          // The registry signed this version's integrity; a lockfile that says otherwise was edited.
          if (previous.integrity !== meta.integrity) {
            throw new SymphonyError('E_LOCKFILE_TAMPERED', `the lockfile records an integrity for ${id}@${meta.version} that differs from the registry's signed one`, {
              details: { id, version: meta.version, recorded: previous.integrity, signed: meta.integrity },
            });
          }
          next.extensions[id] = { ...previous, ...(requestedRange ? { requested: requestedRange } : {}) };
          if (!requestedRange) delete next.extensions[id]?.requested;
          report.unchanged.push(id);
          continue;
        }
        const client = sources.get(id) as RegistryClient;
        const pkg = await fetchVerified(meta);
        const publisher = assertTrustedSigner(trust, id, pkg.signature);
        // Consent is asked about the signed manifest, never the registry's summary of it.
        const permissions = summarizePermissions(pkg.manifest.permissions);
        const added = permissions.filter((line) => !(previous?.permissions ?? []).includes(line));
        if (added.length > 0) {
          consentRequests.push({ id, version: meta.version, publisher, permissions, added, ...(previous ? { previousVersion: previous.version } : {}) });
        }
        fetched.push({ meta, pkg });
        next.extensions[id] = {
          version: meta.version,
          integrity: pkg.integrity,
          registry: client.url,
          publisher,
          keyId: pkg.signature.keyId,
          kind: pkg.manifest.kind,
          dependencies: Object.fromEntries(Object.entries(pkg.manifest.dependencies ?? {})),
          permissions,
          ...(requestedRange ? { requested: requestedRange } : {}),
        };
        if (previous) report.updated.push({ id, from: previous.version, to: meta.version });
        else report.added.push({ id, version: meta.version });
      }
      for (const [id, entry] of Object.entries(lock.extensions)) {
        if (!Object.hasOwn(next.extensions, id)) report.removed.push({ id, version: entry.version });
      }

      if (consentRequests.length > 0) {
        const ask = consent ?? options.consent;
        const granted = ask ? await ask(consentRequests) : false;
        if (!granted) {
          throw new SymphonyError('E_CONSENT_REQUIRED', `consent needed for new permissions: ${consentRequests.map((r) => `${r.id}@${r.version} asks ${r.added.join(', ')}`).join('; ')}`, {
            details: { requests: consentRequests },
          });
        }
      }

      if (report.added.length + report.updated.length + report.removed.length === 0 && sameRequests(lock, next)) return report;

      for (const { meta, pkg } of fetched) {
        if (await hasStoreEntry(p, meta.id, meta.version)) {
          // A folder left by an earlier install is reused only if it still verifies; else it is replaced.
          const entry = next.extensions[meta.id] as LockEntry;
          const ok = await verifyStoreEntry(join(p.store, storeName(meta.id, meta.version)), meta.id, entry, trust).then(() => true, () => false);
          if (ok) continue;
          report.warnings.push(`the stored copy of ${meta.id}@${meta.version} had been altered; replaced with the verified download`);
          await rm(join(p.store, storeName(meta.id, meta.version)), { recursive: true, force: true });
        }
        const staged = await stagingDir(p, meta.id);
        await writePackageFiles(pkg, staged);
        progress({ step: 'staged', id: meta.id, version: meta.version });
        await commitStoreEntry(p, staged, meta.id, meta.version);
      }
      report.generation = await commitGeneration(p, generation, next);
      progress({ step: 'committed' });

      const candidates: StartCandidate[] = fetched.map(({ meta, pkg }) => ({
        id: meta.id,
        version: meta.version,
        dir: join(p.extensions, meta.id),
        ...(pkg.manifest.main ? { main: pkg.manifest.main } : {}),
      }));
      try {
        await (options.startCheck ?? defaultCheck)(candidates);
      } catch (error) {
        // Roll back: the previous set goes live again, untouched.
        if (generation > 0) await switchTo(p, generation);
        else await rm(p.extensions, { force: true });
        await rm(join(p.generations, String(report.generation)), { recursive: true, force: true });
        throw new SymphonyError('E_INSTALL_ROLLED_BACK', `the new extensions failed to start, so the previous installation was restored: ${isSymphonyError(error) ? error.message : String(error)}`, {
          details: { changed: candidates.map((c) => `${c.id}@${c.version}`), restoredGeneration: generation },
          cause: error,
        });
      }
      progress({ step: 'checked' });
      await collectGarbage(p, report.generation);
      return report;
    });
  }

  async function currentLock(): Promise<Lockfile> {
    return readLockfile(p, await currentGeneration(p));
  }

  /** Every root the user asked for, kept at its locked version unless told otherwise. */
  function existingRoots(lock: Lockfile, except: Set<string>): RootRequest[] {
    return Object.entries(lock.extensions)
      .filter(([id, e]) => e.requested !== undefined && !except.has(id))
      .map(([id, e]) => ({ id, spec: e.requested as string }));
  }

  function lockedVersions(lock: Lockfile, except: Set<string>): Map<string, string> {
    return new Map(Object.entries(lock.extensions).filter(([id]) => !except.has(id)).map(([id, e]) => [id, e.version]));
  }

  return {
    home: options.home,
    extensionsDir: p.extensions,
    lockfilePath: join(p.extensions, LOCKFILE),
    async search(query, opts = {}) {
      const byId = new Map<string, RemoteSearchHit & { registry: string }>();
      for (const client of clients) {
        for (const hit of await client.search(query, opts)) {
          const seen = byId.get(hit.id);
          if (!seen || seen.score < hit.score) byId.set(hit.id, { ...hit, registry: client.url });
        }
      }
      return [...byId.values()].sort((a, b) => b.score - a.score).slice(0, opts.limit ?? 20);
    },
    async info(id) {
      const state = await readRegistryState(statePath);
      const { packument, client } = await findPackument(id, state);
      await saveRegistryState(statePath, state);
      return { ...packument, registry: client.url };
    },
    async install(specs, opts = {}) {
      const requests = (Array.isArray(specs) ? specs : [specs]).map(parseSpec);
      for (const r of requests) checkNotReserved(r.id);
      const lock = await currentLock();
      const ids = new Set(requests.map((r) => r.id));
      return apply([...existingRoots(lock, ids), ...requests], lockedVersions(lock, ids), opts.consent);
    },
    async update(ids, opts = {}) {
      const lock = await currentLock();
      const targets = new Set(ids ?? Object.keys(lock.extensions));
      for (const id of targets) {
        checkId(id);
        if (!own(lock.extensions, id)) throw new SymphonyError('E_NOT_FOUND', `${id} is not installed`, { details: { id } });
      }
      // Updated ids lose their preference, so the resolver picks the newest compatible version,
      // but never one below what is installed (a mirror hiding versions cannot downgrade you).
      return apply(existingRoots(lock, new Set()), lockedVersions(lock, targets), opts.consent, { floor: true });
    },
    async uninstall(id) {
      const lock = await currentLock();
      const entry = own(lock.extensions, checkId(id));
      if (!entry) throw new SymphonyError('E_NOT_FOUND', `${id} is not installed`, { details: { id } });
      const dependents = Object.entries(lock.extensions).filter(([other, e]) => other !== id && own(e.dependencies, id) !== undefined).map(([other]) => other);
      if (dependents.length > 0) {
        throw new SymphonyError('E_DEPENDED_ON', `${id} is needed by ${dependents.join(', ')}; uninstall those first`, { details: { id, dependents } });
      }
      return apply(existingRoots(lock, new Set([id])), lockedVersions(lock, new Set([id])), undefined, { removing: id });
    },
    async list() {
      const lock = await currentLock();
      return Object.entries(lock.extensions).map(([id, e]) => ({ id, ...e, dir: join(p.extensions, id) }));
    },
    async outdated() {
      const lock = await currentLock();
      const rows: OutdatedRow[] = [];
      const state = await readRegistryState(statePath);
      const trust = await readTrust();
      for (const [id, entry] of Object.entries(lock.extensions)) {
        const { packument } = await findPackument(id, state, trust);
        const live = Object.values(packument.versions).filter((v) => !v.yanked).map((v) => v.version);
        const ranges = [entry.requested, ...Object.values(lock.extensions).map((e) => own(e.dependencies, id))].filter((r): r is string => !!r);
        const wanted = semver.maxSatisfying(live, ranges.join(' ').trim() || '*') ?? entry.version;
        const latest = own(packument.distTags, 'latest') ?? semver.rsort(live)[0] ?? entry.version;
        if (semver.gt(wanted, entry.version) || semver.gt(latest, entry.version)) rows.push({ id, current: entry.version, wanted, latest });
      }
      await saveRegistryState(statePath, state);
      return rows;
    },
    async trust(publisher, namespaces, publicKey) {
      await withHomeLock(p.root, async () => writeJsonAtomic(trustPath, addTrust(await readTrust(), publisher, namespaces, publicKey, reserved)));
    },
    async verify() {
      const lock = await currentLock();
      await verifyLive(lock, await readTrust());
      return Object.entries(lock.extensions).map(([id, e]) => ({ id, version: e.version }));
    },
  };
}

/** What the lockfile remembers the user asked for: a tag or `*` becomes `^<resolved>`, like npm. */
function savedRange(spec: string, version: string): string {
  if (spec === 'latest' || spec === '*' || !semver.validRange(spec)) return semver.prerelease(version) ? version : `^${version}`;
  return spec;
}

function sameRequests(a: Lockfile, b: Lockfile): boolean {
  const ids = new Set([...Object.keys(a.extensions), ...Object.keys(b.extensions)]);
  return [...ids].every((id) => a.extensions[id]?.requested === b.extensions[id]?.requested);
}

/**
 * The sandbox is built from an installed package's `package.json`: every dependency name must be
 * one npm accepts (no `../../etc`, no absolute path), or the install is refused before any file
 * is written. (At load the sandbox also confines them to the package's own `node_modules`.)
 */
function assertDependencyNames(packageJson: Record<string, unknown> | undefined, source: string): void {
  if (!packageJson) return;
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies']) {
    const value = packageJson[field];
    const names = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.keys(value) : [];
    for (const name of names) {
      if (typeof name !== 'string' || !isPackageName(name)) {
        throw new SymphonyError('E_DEPENDENCY_INVALID', `${source}: package.json ${field} names ${JSON.stringify(name)}, which is not a valid npm package name; refusing to install it.`, {
          details: { source, field, dependency: String(name) },
        });
      }
    }
  }
}
