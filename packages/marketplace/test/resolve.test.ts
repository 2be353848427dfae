import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import { isSymphonyError } from '@symphony/types';
import { resolveTree, type RemotePackument, type RemoteVersion } from '../src/index.js';

function packuments(spec: Record<string, Record<string, { deps?: Record<string, string>; yanked?: boolean; engine?: string }>>): Map<string, RemotePackument> {
  const out = new Map<string, RemotePackument>();
  for (const [id, versions] of Object.entries(spec)) {
    const v: Record<string, RemoteVersion> = {};
    for (const [version, o] of Object.entries(versions)) {
      v[version] = {
        id, version, kind: 'operator', keywords: [], permissions: [], integrity: '', tarball: '', publisher: 'acme', keyId: '',
        engines: o.engine ? { symphony: o.engine } : {}, dependencies: o.deps ?? {}, ...(o.yanked ? { yanked: true } : {}),
      };
    }
    const live = Object.keys(versions).filter((x) => !versions[x]?.yanked);
    out.set(id, { id, publisher: 'acme', distTags: { latest: semver.rsort(live)[0] ?? '' }, versions: v });
  }
  return out;
}

// In these unit tests the fake metadata carries the manifest's dependencies; the marketplace reads the signed manifest.
const dependencies = async (meta: RemoteVersion) => meta.dependencies ?? {};

const lookup = (map: Map<string, RemotePackument>) => async (id: string) => {
  const p = map.get(id);
  if (!p) throw Object.assign(new Error(`no ${id}`), { code: 'E_NOT_FOUND' });
  return p;
};

describe('resolveTree', () => {
  it('re-picks a shared dependency when a later range narrows it', async () => {
    const map = packuments({
      'a.app': { '1.0.0': { deps: { 'a.lib': '^1.0.0', 'a.mid': '^1.0.0' } } },
      'a.mid': { '1.0.0': { deps: { 'a.lib': '~1.1.0' } } },
      'a.lib': { '1.0.0': {}, '1.1.3': {}, '1.2.0': {} },
    });
    const out = await resolveTree({ roots: [{ id: 'a.app', spec: 'latest' }], packument: lookup(map), dependencies });
    expect(out.get('a.lib')?.meta.version).toBe('1.1.3');
  });

  it('skips yanked versions and versions for another Symphony, and keeps a locked version that still fits', async () => {
    const map = packuments({ 'a.lib': { '1.0.0': {}, '1.1.0': { engine: '>=2.0.0' }, '1.2.0': { yanked: true } } });
    const picked = await resolveTree({ roots: [{ id: 'a.lib', spec: '^1.0.0' }], packument: lookup(map), dependencies, symphonyVersion: '0.1.0' });
    expect(picked.get('a.lib')?.meta.version).toBe('1.0.0');
    await expect(resolveTree({ roots: [{ id: 'a.lib', spec: '1.1.0' }], packument: lookup(map), dependencies, symphonyVersion: '0.1.0' })).rejects.toMatchObject({ code: 'E_ENGINE_INCOMPATIBLE' });
    const exactYanked = await resolveTree({ roots: [{ id: 'a.lib', spec: '1.2.0' }], packument: lookup(map), dependencies });
    expect(exactYanked.get('a.lib')?.meta.version).toBe('1.2.0');
    const locked = await resolveTree({ roots: [{ id: 'a.lib', spec: '^1.0.0' }], packument: lookup(map), dependencies, prefer: new Map([['a.lib', '1.0.0']]) });
    expect(locked.get('a.lib')?.meta.version).toBe('1.0.0');
  });

  it('keeps an installed version that was yanked since, and an update never goes below the installed version', async () => {
    const map = packuments({ 'a.lib': { '1.0.0': {}, '1.1.0': { yanked: true } } });
    const installed = new Map([['a.lib', '1.1.0']]);
    const kept = await resolveTree({ roots: [{ id: 'a.lib', spec: '^1.0.0' }], packument: lookup(map), dependencies, installed, prefer: installed });
    expect(kept.get('a.lib')?.meta).toMatchObject({ version: '1.1.0', yanked: true });
    // An update (no preference, floor at the installed version) keeps it rather than going down to 1.0.0.
    const updated = await resolveTree({ roots: [{ id: 'a.lib', spec: '^1.0.0' }], packument: lookup(map), dependencies, installed, floor: installed });
    expect(updated.get('a.lib')?.meta.version).toBe('1.1.0');
    // A registry that no longer lists the installed version cannot make an update downgrade.
    const hidden = packuments({ 'a.lib': { '1.0.0': {} } });
    await expect(resolveTree({ roots: [{ id: 'a.lib', spec: '^1.0.0' }], packument: lookup(hidden), dependencies, installed, floor: installed }))
      .rejects.toMatchObject({ code: 'E_DOWNGRADE_REFUSED', details: { id: 'a.lib', installed: '1.1.0', candidate: '1.0.0' } });
  });

  it('answers Object.prototype names as specs with E_INPUT_INVALID, never a prototype member', async () => {
    const map = packuments({ 'a.lib': { '1.0.0': {} } });
    for (const spec of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      await expect(resolveTree({ roots: [{ id: 'a.lib', spec }], packument: lookup(map), dependencies })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    }
  });

  it('either satisfies every range in the tree or refuses with a code (fast-check)', async () => {
    const ids = ['a.one', 'a.two', 'a.three', 'a.four'];
    const versionArb = fc.constantFrom('1.0.0', '1.1.0', '1.2.5', '2.0.0', '2.1.0', '3.0.0');
    const rangeArb = fc.constantFrom('^1.0.0', '~1.1.0', '^2.0.0', '>=1.2.0', '1.0.0', '*', '<2.0.0', '^3.0.0', '^9.0.0');
    const graphArb = fc.dictionary(
      fc.constantFrom(...ids),
      fc.dictionary(versionArb, fc.record({ deps: fc.dictionary(fc.constantFrom(...ids), rangeArb, { maxKeys: 2 }), yanked: fc.integer({ min: 0, max: 6 }).map((n) => n === 0) }), { minKeys: 1, maxKeys: 4 }),
      { minKeys: 1 },
    );
    await fc.assert(
      fc.asyncProperty(graphArb, fc.constantFrom(...ids), rangeArb, async (graph, root, rootRange) => {
        const map = packuments(graph);
        try {
          const out = await resolveTree({ roots: [{ id: root, spec: rootRange }], packument: lookup(map), dependencies });
          // Every edge of the resolved tree is satisfied by the chosen version.
          expect(semver.satisfies(out.get(root)?.meta.version as string, rootRange)).toBe(true);
          for (const { meta } of out.values()) {
            for (const [dep, range] of Object.entries(meta.dependencies ?? {})) {
              expect(out.has(dep)).toBe(true);
              expect(semver.satisfies(out.get(dep)?.meta.version as string, range, { includePrerelease: true })).toBe(true);
            }
          }
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (!(isSymphonyError(error) || code === 'E_NOT_FOUND')) throw error;
          expect(['E_NO_MATCHING_VERSION', 'E_DEPENDENCY_CONFLICT', 'E_NOT_FOUND']).toContain(code);
        }
      }),
      { numRuns: 500 },
    );
  });
});
