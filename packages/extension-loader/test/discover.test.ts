import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discoverExtensions, resolveDependencies } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('discoverExtensions', () => {
  it('finds extensions in folders (JSON and TOML manifests) and in node_modules, scoped too', async () => {
    const { extensions, problems } = await discoverExtensions({ dirs: [`${fixtures}extensions`], nodeModules: [`${fixtures}project`] });
    expect(extensions.map((e) => [e.manifest.id, e.source])).toEqual([
      ['acme.boot', 'directory'],
      ['acme.csv', 'directory'],
      ['acme.tagger', 'directory'],
      ['acme.hello', 'node_modules'],
    ]);
    expect(extensions[1]!.main).toBe(`${fixtures}extensions/csv/index.mjs`);
    expect(problems).toEqual([]);
  });

  it('reports a bad manifest with every issue and its folder, and carries on', async () => {
    const { extensions, problems } = await discoverExtensions({ dirs: [`${fixtures}broken`, `${fixtures}extensions/csv`] });
    expect(extensions.map((e) => e.manifest.id)).toEqual(['acme.csv']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe('E_MANIFEST_INVALID');
    expect((problems[0]!.details.issues as Array<{ path: string }>).map((i) => i.path)).toEqual(expect.arrayContaining(['id', 'version', 'kind']));
    expect(problems[0]!.details.dir).toBe(`${fixtures}broken/bad`);
  });
});

const ext = (id: string, version: string, dependencies: Record<string, string> = {}, symphony = '*') => ({
  manifest: { id, version, dependencies, engines: { symphony } },
});

describe('resolveDependencies', () => {
  it('orders dependencies first', () => {
    const order = resolveDependencies([ext('a.app', '1.0.0', { 'a.lib': '^2.0.0' }), ext('a.lib', '2.3.0', { 'a.core': '~1.1.0' }), ext('a.core', '1.1.4')]);
    expect(order.map((e) => e.manifest.id)).toEqual(['a.core', 'a.lib', 'a.app']);
  });

  it('names both packages on a version conflict', () => {
    expect(() => resolveDependencies([ext('a.app', '1.0.0', { 'a.lib': '^2.0.0' }), ext('a.lib', '3.0.0')])).toThrow(
      expect.objectContaining({ code: 'E_DEPENDENCY_CONFLICT', message: 'extension "a.app@1.0.0" needs "a.lib@^2.0.0", but "a.lib@3.0.0" is installed' }),
    );
  });

  it('names the cycle', () => {
    expect(() => resolveDependencies([ext('a.x', '1.0.0', { 'a.y': '*' }), ext('a.y', '1.0.0', { 'a.z': '*' }), ext('a.z', '1.0.0', { 'a.x': '*' })])).toThrow(
      expect.objectContaining({ code: 'E_CYCLE', details: { cycle: ['a.x', 'a.y', 'a.z', 'a.x'] } }),
    );
  });

  it('reports a missing dependency, a duplicate id and an engine mismatch', () => {
    expect(() => resolveDependencies([ext('a.app', '1.0.0', { 'a.gone': '^1.0.0' })])).toThrow(expect.objectContaining({ code: 'E_DEPENDENCY_MISSING' }));
    expect(() => resolveDependencies([ext('a.app', '1.0.0'), ext('a.app', '1.1.0')])).toThrow(expect.objectContaining({ code: 'E_EXTENSION_DUPLICATE' }));
    expect(() => resolveDependencies([ext('a.app', '1.0.0', {}, '^2.0.0')], '0.1.0')).toThrow(expect.objectContaining({ code: 'E_MANIFEST_ENGINE' }));
    expect(resolveDependencies([ext('a.app', '1.0.0', {}, '>=0.1.0')], '0.1.0')).toHaveLength(1);
  });

  it('any acyclic graph comes out with every dependency before its dependents', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 12 }), (edges) => {
        // Node i may only depend on nodes with a smaller index: acyclic by construction.
        const list = edges.map((deps, i) =>
          ext(`n.e${i}`, '1.0.0', Object.fromEntries(i === 0 ? [] : deps.map((d) => [`n.e${d % i}`, '^1.0.0']))),
        );
        const order = resolveDependencies([...list].reverse()).map((e) => e.manifest.id);
        expect(order).toHaveLength(list.length);
        for (const e of list) for (const dep of Object.keys(e.manifest.dependencies)) expect(order.indexOf(dep)).toBeLessThan(order.indexOf(e.manifest.id));
      }),
      { numRuns: 300 },
    );
  });
});
