import semver from 'semver';
import { SymphonyError } from '@symphony/types';
import type { RemotePackument, RemoteVersion } from './registry-client.js';
import { PROTO_NAMES, own } from './own.js';

export interface RootRequest {
  id: string;
  /** A semver range, an exact version or a dist-tag. */
  spec: string;
}

export interface Resolved {
  meta: RemoteVersion;
  /** The chain from a root request to this package: `['acme.app@1.0.0']` for a direct dependency. */
  path: string[];
}

interface Constraint {
  range: string;
  /** Who asked: `['(request)']` or `['acme.app@1.0.0', 'acme.lib@2.1.0']`. */
  via: string[];
}

export interface ResolveOptions {
  roots: RootRequest[];
  packument(id: string): Promise<RemotePackument>;
  /**
   * The dependencies of one chosen version, read from its publisher-signed manifest (never from
   * registry metadata, which a mirror can edit). Ids this callback leaves out are not resolved.
   */
  dependencies(meta: RemoteVersion): Promise<Record<string, string>>;
  /** Installed versions: they stay acceptable even when yanked since (npm keeps them too). */
  installed?: ReadonlyMap<string, string>;
  /** Versions never to go below (an update's installed versions); a lower pick is `E_DOWNGRADE_REFUSED`. */
  floor?: ReadonlyMap<string, string>;
  /** Versions to keep when they still satisfy every constraint (the lockfile's). */
  prefer?: ReadonlyMap<string, string>;
  /** The running Symphony version, checked against `engines.symphony`. */
  symphonyVersion?: string;
}

const MAX_ROUNDS = 64;

/**
 * One version per extension id (the host runs one copy of each). Picks the highest version
 * that satisfies every range asking for it, preferring a locked version that still does;
 * re-walks the tree until the choices stop changing. A range no version satisfies, or two
 * ranges that exclude each other, is an error naming every path that asked.
 */
export async function resolveTree(options: ResolveOptions): Promise<Map<string, Resolved>> {
  const packuments = new Map<string, RemotePackument>();
  const load = async (id: string) => {
    let p = packuments.get(id);
    if (!p) {
      p = await options.packument(id);
      packuments.set(id, p);
    }
    return p;
  };
  const choices = new Map<string, string>();

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const constraints = new Map<string, Constraint[]>();
    const paths = new Map<string, string[]>();
    const queue: Array<{ id: string; range: string; via: string[] }> = options.roots.map((r) => ({ id: r.id, range: r.spec, via: ['(request)'] }));
    const expanded = new Set<string>();
    while (queue.length > 0) {
      const edge = queue.shift() as (typeof queue)[number];
      const packument = await load(edge.id);
      const range = rangeFor(packument, edge.range);
      const list = constraints.get(edge.id) ?? [];
      list.push({ range, via: edge.via });
      constraints.set(edge.id, list);
      if (!choices.has(edge.id)) choices.set(edge.id, pick(packument, list, options, edge.via));
      if (expanded.has(edge.id)) continue;
      expanded.add(edge.id);
      paths.set(edge.id, edge.via);
      const meta = own(packument.versions, choices.get(edge.id) as string) as RemoteVersion;
      const here = [...edge.via.filter((v) => v !== '(request)'), `${meta.id}@${meta.version}`];
      for (const [dep, depRange] of Object.entries(await options.dependencies(meta))) queue.push({ id: dep, range: depRange, via: here });
    }

    let changed = false;
    for (const id of [...choices.keys()]) {
      const list = constraints.get(id);
      if (!list) {
        choices.delete(id); // no longer reachable from any root
        changed = true;
        continue;
      }
      const chosen = choices.get(id) as string;
      if (!list.every((c) => semver.satisfies(chosen, c.range, { includePrerelease: true }))) {
        choices.set(id, pick(await load(id), list, options, list[0]?.via ?? []));
        changed = true;
      }
    }
    if (!changed) {
      const out = new Map<string, Resolved>();
      for (const [id, version] of choices) {
        out.set(id, { meta: own((packuments.get(id) as RemotePackument).versions, version) as RemoteVersion, path: paths.get(id) ?? [] });
      }
      return out;
    }
  }
  throw new SymphonyError('E_DEPENDENCY_CONFLICT', `dependency resolution did not settle after ${MAX_ROUNDS} rounds`, {
    details: { roots: options.roots },
  });
}

/** A dist-tag becomes the exact version it points at; anything else must be a semver range. */
function rangeFor(packument: RemotePackument, spec: string): string {
  const tagged = typeof spec === 'string' && !PROTO_NAMES.has(spec) ? own(packument.distTags, spec) : undefined;
  if (typeof tagged === 'string') return tagged;
  if (typeof spec === 'string' && !PROTO_NAMES.has(spec) && semver.validRange(spec)) return spec;
  throw new SymphonyError('E_INPUT_INVALID', `"${spec}" is neither a semver range nor a dist-tag of ${packument.id}`, {
    details: { id: packument.id, spec, distTags: packument.distTags },
  });
}

function pick(packument: RemotePackument, list: Constraint[], options: ResolveOptions, via: string[]): string {
  const all = Object.values(packument.versions);
  const installed = options.installed?.get(packument.id);
  // Yanked versions are only taken when asked for exactly, or when already installed (they stay, with a warning).
  const candidates = all
    .filter((v) => !v.yanked || v.version === installed || list.every((c) => c.range === v.version))
    .filter((v) => list.every((c) => semver.satisfies(v.version, c.range, { includePrerelease: semver.prerelease(v.version) !== null && c.range === v.version })));
  const engineOk = candidates.filter(
    (v) => !options.symphonyVersion || !v.engines?.symphony || semver.satisfies(options.symphonyVersion, v.engines.symphony, { includePrerelease: true }),
  );
  const floor = options.floor?.get(packument.id);
  const allowed = floor ? engineOk.filter((v) => semver.gte(v.version, floor)) : engineOk;
  const preferred = options.prefer?.get(packument.id);
  if (preferred && allowed.some((v) => v.version === preferred)) return preferred;
  const best = semver.rsort(allowed.map((v) => v.version))[0];
  if (best) return best;
  if (floor && engineOk.length > 0) {
    const below = semver.rsort(engineOk.map((v) => v.version))[0] as string;
    throw new SymphonyError('E_DOWNGRADE_REFUSED', `updating ${packument.id} would go down from the installed ${floor} to ${below}; an update never downgrades (to do it on purpose: install ${packument.id}@${below})`, {
      details: { id: packument.id, installed: floor, candidate: below },
    });
  }

  const who = (c: Constraint) => `${c.via.filter((v) => v !== '(request)').concat(packument.id).join(' > ')} requires ${c.range}`;
  const available = all.filter((v) => !v.yanked).map((v) => v.version);
  if (candidates.length > 0) {
    throw new SymphonyError('E_ENGINE_INCOMPATIBLE', `no version of ${packument.id} that satisfies ${list.map((c) => c.range).join(' and ')} runs on Symphony ${options.symphonyVersion}`, {
      details: { id: packument.id, symphonyVersion: options.symphonyVersion, candidates: candidates.map((v) => `${v.version} (engines.symphony ${v.engines?.symphony})`) },
    });
  }
  if (list.length === 1) {
    throw new SymphonyError('E_NO_MATCHING_VERSION', `no version of ${packument.id} satisfies ${list[0]?.range} (${who(list[0] as Constraint)}; available: ${available.join(', ') || 'none'})`, {
      details: { id: packument.id, path: [...via, packument.id], range: list[0]?.range, available },
    });
  }
  throw new SymphonyError('E_DEPENDENCY_CONFLICT', `no single version of ${packument.id} satisfies every dependent:\n${list.map((c) => `  ${who(c)}`).join('\n')}\navailable: ${available.join(', ') || 'none'}`, {
    details: { id: packument.id, constraints: list.map((c) => ({ range: c.range, path: [...c.via, packument.id] })), available },
  });
}
