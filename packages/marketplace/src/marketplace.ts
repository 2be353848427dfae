import { join } from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import semver from 'semver';
import { readPackage, summarizePermissions, writePackageFiles } from '@symphony/sdk';
import { SymphonyError, isSymphonyError } from '@symphony/types';
import { createRegistryClient, type RegistryClient, type RemotePackument, type RemoteSearchHit, type RemoteVersion } from './registry-client.js';
import { resolveTree, type RootRequest } from './resolve.js';
import { createNpmRegistryClient, isNpmRegistry } from './npm-client.js';
import { addTrust, assertTrustedSigner, emptyTrust, type TrustFile } from './trust.js';
import { importCheck, type StartCandidate } from './start-check.js';
import { withHomeLock, writeJsonAtomic } from './home-lock.js';
import {
  LOCKFILE, collectGarbage, commitGeneration, commitStoreEntry, currentGeneration, hasStoreEntry, paths, prepare,
  readLockfile, stagingDir, switchTo, type LockEntry, type Lockfile,
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
  /** Runs after the new set is live; a throw rolls back to the previous set. Default: `importCheck` each. */
  startCheck?: (candidates: StartCandidate[]) => Promise<void>;
  /** The running Symphony version, matched against `engines.symphony`. */
  symphonyVersion?: string;
  onProgress?: (event: ProgressEvent) => void;
  fetch?: typeof fetch;
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
}

/** `acme.csv@^1.2` → `{ id: 'acme.csv', spec: '^1.2' }`; a bare id means the `latest` tag. */
export function parseSpec(text: string): RootRequest {
  const at = text.indexOf('@', 1);
  const id = at < 0 ? text : text.slice(0, at);
  const spec = at < 0 ? 'latest' : text.slice(at + 1) || 'latest';
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/.test(id)) {
    throw new SymphonyError('E_INPUT_INVALID', `"${text}" is not <extension-id>[@range]`, { details: { spec: text } });
  }
  return { id, spec };
}

export async function createMarketplace(options: MarketplaceOptions): Promise<Marketplace> {
  const p = paths(options.home);
  const clients: RegistryClient[] = options.registries.map((url) => (isNpmRegistry(url) ? createNpmRegistryClient(url, options.fetch) : createRegistryClient(url, options.fetch)));
  const trustPath = join(options.home, 'trust.json');
  const progress = (event: ProgressEvent) => options.onProgress?.(event);
  await withHomeLock(p.root, () => prepare(p));

  async function readTrust(): Promise<TrustFile> {
    try {
      return JSON.parse(await readFile(trustPath, 'utf8')) as TrustFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyTrust();
      throw new SymphonyError('E_TRUST_INVALID', `cannot read ${trustPath}: ${(error as Error).message}`, { details: { path: trustPath }, cause: error });
    }
  }

  async function findPackument(id: string): Promise<{ packument: RemotePackument; client: RegistryClient }> {
    for (const client of clients) {
      const packument = await client.packument(id);
      if (packument) return { packument, client };
    }
    throw new SymphonyError('E_NOT_FOUND', `no registry has ${id} (asked: ${clients.map((c) => c.url).join(', ') || 'no registries configured'})`, {
      details: { id, registries: clients.map((c) => c.url) },
    });
  }

  /** Resolve, fetch, verify, ask consent, stage, switch, check: the one path every change takes. */
  async function apply(roots: RootRequest[], prefer: Map<string, string>, consent: MarketplaceOptions['consent']): Promise<InstallReport> {
    return withHomeLock(p.root, async () => {
      const generation = await currentGeneration(p);
      const lock = await readLockfile(p, generation);
      const sources = new Map<string, RegistryClient>();
      const resolved = await resolveTree({
        roots,
        prefer,
        ...(options.symphonyVersion ? { symphonyVersion: options.symphonyVersion } : {}),
        packument: async (id) => {
          const found = await findPackument(id);
          sources.set(id, found.client);
          return found.packument;
        },
      });
      progress({ step: 'resolved' });

      const report: InstallReport = { added: [], updated: [], removed: [], unchanged: [], warnings: [], generation };
      const next: Lockfile = { lockfileVersion: 1, extensions: {} };
      const fetched: Array<{ meta: RemoteVersion; pkg: Awaited<ReturnType<typeof readPackage>> }> = [];
      const consentRequests: ConsentRequest[] = [];
      const trust = await readTrust();
      const requested = new Map(roots.map((r) => [r.id, r.spec]));

      for (const [id, { meta }] of resolved) {
        const previous = lock.extensions[id];
        const root = requested.get(id);
        const requestedRange = root === undefined ? undefined : savedRange(root, meta.version);
        if (meta.deprecated) report.warnings.push(`${id}@${meta.version} is deprecated: ${meta.deprecated}`);
        if (previous && previous.version === meta.version) {
          next.extensions[id] = { ...previous, ...(requestedRange ? { requested: requestedRange } : {}) };
          if (!requestedRange) delete next.extensions[id]?.requested;
          report.unchanged.push(id);
          continue;
        }
        const client = sources.get(id) as RegistryClient;
        const tarball = await client.tarball(meta);
        progress({ step: 'downloaded', id, version: meta.version });
        const pkg = await readPackage(tarball, { integrity: meta.integrity, source: `${id}@${meta.version}` });
        if (pkg.id !== id || pkg.version !== meta.version) {
          throw new SymphonyError('E_INTEGRITY_MISMATCH', `the registry served ${pkg.id}@${pkg.version} for ${id}@${meta.version}`, {
            details: { id, version: meta.version, got: `${pkg.id}@${pkg.version}` },
          });
        }
        // The registry's metadata chose this version and its dependencies: the signed manifest must agree.
        if (JSON.stringify(sortedEntries(pkg.manifest.dependencies ?? {})) !== JSON.stringify(sortedEntries(meta.dependencies ?? {}))) {
          throw new SymphonyError('E_INTEGRITY_MISMATCH', `the registry's metadata for ${id}@${meta.version} lists other dependencies than its signed manifest`, {
            details: { id, version: meta.version, registry: meta.dependencies, manifest: pkg.manifest.dependencies },
          });
        }
        const publisher = assertTrustedSigner(trust, id, pkg.signature);
        progress({ step: 'verified', id, version: meta.version });
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
          dependencies: { ...pkg.manifest.dependencies },
          permissions,
          ...(requestedRange ? { requested: requestedRange } : {}),
        };
        if (previous) report.updated.push({ id, from: previous.version, to: meta.version });
        else report.added.push({ id, version: meta.version });
      }
      for (const [id, entry] of Object.entries(lock.extensions)) {
        if (!next.extensions[id]) report.removed.push({ id, version: entry.version });
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
        if (await hasStoreEntry(p, meta.id, meta.version)) continue;
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
        if (options.startCheck) await options.startCheck(candidates);
        else for (const candidate of candidates) await importCheck(candidate);
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
      const { packument, client } = await findPackument(id);
      return { ...packument, registry: client.url };
    },
    async install(specs, opts = {}) {
      const requests = (Array.isArray(specs) ? specs : [specs]).map(parseSpec);
      const lock = await currentLock();
      const ids = new Set(requests.map((r) => r.id));
      return apply([...existingRoots(lock, ids), ...requests], lockedVersions(lock, ids), opts.consent);
    },
    async update(ids, opts = {}) {
      const lock = await currentLock();
      const targets = new Set(ids ?? Object.keys(lock.extensions));
      for (const id of targets) {
        if (!lock.extensions[id]) throw new SymphonyError('E_NOT_FOUND', `${id} is not installed`, { details: { id } });
      }
      // Updated ids lose their preference, so the resolver picks the newest compatible version.
      return apply(existingRoots(lock, new Set()), lockedVersions(lock, targets), opts.consent);
    },
    async uninstall(id) {
      const lock = await currentLock();
      const entry = lock.extensions[id];
      if (!entry) throw new SymphonyError('E_NOT_FOUND', `${id} is not installed`, { details: { id } });
      const dependents = Object.entries(lock.extensions).filter(([other, e]) => other !== id && e.dependencies[id] !== undefined).map(([other]) => other);
      if (dependents.length > 0) {
        throw new SymphonyError('E_DEPENDED_ON', `${id} is needed by ${dependents.join(', ')}; uninstall those first`, { details: { id, dependents } });
      }
      return apply(existingRoots(lock, new Set([id])), lockedVersions(lock, new Set([id])), undefined);
    },
    async list() {
      const lock = await currentLock();
      return Object.entries(lock.extensions).map(([id, e]) => ({ id, ...e, dir: join(p.extensions, id) }));
    },
    async outdated() {
      const lock = await currentLock();
      const rows: OutdatedRow[] = [];
      for (const [id, entry] of Object.entries(lock.extensions)) {
        const { packument } = await findPackument(id);
        const live = Object.values(packument.versions).filter((v) => !v.yanked).map((v) => v.version);
        const ranges = [entry.requested, ...Object.values(lock.extensions).map((e) => e.dependencies[id])].filter((r): r is string => !!r);
        const wanted = semver.maxSatisfying(live, ranges.join(' ').trim() || '*') ?? entry.version;
        const latest = packument.distTags.latest ?? semver.rsort(live)[0] ?? entry.version;
        if (semver.gt(wanted, entry.version) || semver.gt(latest, entry.version)) rows.push({ id, current: entry.version, wanted, latest });
      }
      return rows;
    },
    async trust(publisher, namespaces, publicKey) {
      await withHomeLock(p.root, async () => writeJsonAtomic(trustPath, addTrust(await readTrust(), publisher, namespaces, publicKey)));
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

function sortedEntries(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
