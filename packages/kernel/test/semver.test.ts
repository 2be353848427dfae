import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareVersions, createKernel, definePlugin, parseVersion, satisfies, validRange } from '../src/index.js';

describe('satisfies', () => {
  const cases: [string, string, boolean][] = [
    ['1.2.3', '^1.2.0', true],
    ['1.9.0', '^1.2.0', true],
    ['2.0.0', '^1.2.0', false],
    ['0.2.5', '^0.2.1', true],
    ['0.3.0', '^0.2.1', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.5.0', '1.x', true],
    ['2.0.0', '1.x', false],
    ['3.1.4', '*', true],
    ['1.0.0', '>=1.0.0 <2.0.0', true],
    ['2.0.0', '>=1.0.0 <2.0.0', false],
    ['2.5.0', '^1.0.0 || ^2.0.0', true],
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '1.2.3', false],
    ['1.2.4', '1.2', true],
    ['2.0.0-beta.1', '^2.0.0', false],
    ['2.0.0-beta.2', '>=2.0.0-beta.1', true],
    ['1.0.0', '> 0.9', true],
    ['1.0.0', '<= 1', true],
    ['2.0.0', '<= 1', false],
    // What the home-made parser got wrong (issue 14): hyphen ranges, `~>`, build metadata.
    ['1.5.0', '1.0.0 - 2.0.0', true],
    ['2.0.1', '1.0.0 - 2.0.0', false],
    ['1.2.9', '~>1.2.3', true],
    ['1.3.0', '~>1.2.3', false],
    ['1.2.3+build.7', '^1.2.3+build.1', true],
    // Symphony's range semantics include pre-releases inside the range.
    ['2.0.0-beta.1', '>=1.0.0', true],
    ['1.3.0-rc.1', '^1.2.0', true],
  ];
  it.each(cases)('%s in %s is %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('throws on nonsense rather than matching', () => {
    expect(() => satisfies('1.0.0', 'banana')).toThrow(/not a semver range/);
    expect(() => satisfies('one', '^1')).toThrow(/not a semver version/);
  });

  it('orders pre-releases numerically, as npm does', () => {
    expect(compareVersions('1.0.0-beta.10', '1.0.0-beta.2')).toBe(1);
    expect(compareVersions('1.0.0-beta', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0+a', '1.0.0+b')).toBe(0);
    expect(parseVersion('1.2.3-alpha.1+b')?.prerelease).toEqual(['alpha', 1]);
    expect(parseVersion('1.2')).toBeUndefined();
    expect(validRange('1.0.0 - 2.0.0', { includePrerelease: false })).toBe('>=1.0.0 <=2.0.0');
    expect(validRange('banana')).toBeUndefined();
  });

  it("a plugin's requires range is read by npm's rules when the kernel starts", async () => {
    const base = definePlugin({ name: 'base', version: '1.0.0-beta.10', setup: () => ({}) });
    const hyphen = definePlugin({ name: 'hyphen', version: '1.0.0', dependsOn: ['base'], requires: { base: '1.0.0-beta.2 - 1.0.0' }, setup: () => ({}) });
    const k = createKernel({ plugins: [base, hyphen] });
    await k.start();
    await k.stop();
    const newer = definePlugin({ name: 'newer', version: '1.0.0', dependsOn: ['base'], requires: { base: '>=1.0.0-beta.11' }, setup: () => ({}) });
    await expect(createKernel({ plugins: [base, newer] }).start()).rejects.toMatchObject({ code: 'E_PLUGIN_VERSION' });
  });
});

// node-semver's own fixtures (ISC), read at test time from the shared conformance data.
// `../shared/conformance-data` beside the repo; from a worktree nested deeper, the nearest one up.
function findDataDir(): string {
  let dir = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const candidate = join(dir, '..', 'shared', 'conformance-data');
    if (existsSync(candidate)) return candidate;
  }
  return join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/conformance-data');
}
const dataDir = findDataDir();
const haveData = existsSync(join(dataDir, 'semver-range-include.cjs'));
if (!haveData) console.warn(`[semver conformance] skipped: ${dataDir} is absent (see shared/conformance-data/SOURCES.md)`);
const load = (name: string): unknown[][] => (haveData ? (createRequire(import.meta.url)(join(dataDir, name)) as unknown[][]) : []);
type Opts = boolean | { loose?: unknown; includePrerelease?: boolean } | undefined;
/** The fixtures pass `true` for loose, or an options object; npm reads any truthy loose. */
const opts = (o: Opts) => (o === true ? { loose: true } : { loose: Boolean(o && typeof o === 'object' && o.loose), includePrerelease: Boolean(o && typeof o === 'object' && o.includePrerelease) });

describe.skipIf(!haveData)("node-semver's fixtures through the kernel's semver", () => {
  const include = load('semver-range-include.cjs');
  const exclude = load('semver-range-exclude.cjs');
  const comparisons = load('semver-comparisons.cjs');
  const equality = load('semver-equality.cjs');

  it('has the fixtures', () => {
    expect(include.length).toBeGreaterThan(100);
    expect(exclude.length).toBeGreaterThan(80);
  });

  it.each(include.map((row) => [row[0], row[1], row[2]] as [string, string, Opts]))('%s includes %s (%o)', (range, version, o) => {
    expect(satisfies(version, range, opts(o))).toBe(true);
  });

  it.each(exclude.map((row) => [row[0], row[1], row[2]] as [string, string, Opts]))('%s excludes %s (%o)', (range, version, o) => {
    let ok: boolean;
    try {
      ok = satisfies(version, range, opts(o));
    } catch {
      ok = false; // an unreadable version or range matches nothing
    }
    expect(ok).toBe(false);
  });

  it.each(comparisons.map((row) => [row[0], row[1], row[2]] as [string, string, Opts]))('%s > %s (%o)', (a, b, o) => {
    expect(compareVersions(a, b, opts(o))).toBe(1);
    expect(compareVersions(b, a, opts(o))).toBe(-1);
  });

  it.each(equality.map((row) => [row[0], row[1], row[2]] as [string, string, Opts]))('%s == %s (%o)', (a, b, o) => {
    expect(compareVersions(a, b, opts(o))).toBe(0);
  });
});
