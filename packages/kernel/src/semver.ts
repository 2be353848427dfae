import { createRequire } from 'node:module';
import type semverModule from 'semver';

// npm's semver (CommonJS, some fifty files) loads at the first version or range check, not with the
// kernel: a command whose plugins declare no `requires` (`symphony runs list`) never pays for it.
let loaded: typeof semverModule | undefined;
function npmSemver(): typeof semverModule {
  return (loaded ??= createRequire(import.meta.url)('semver') as typeof semverModule);
}

/**
 * Symphony's one range semantics: npm's own `semver`, strict parsing (no `loose`), and
 * pre-releases included in ranges (`>=1.0.0` admits `2.0.0-beta.1`), so a pre-release build of
 * a plugin or of Symphony satisfies the ranges its final version would. The kernel's `requires`,
 * the extension loader's dependency and engine checks, and the marketplace's engine check all
 * call through here (or pass these options), so they agree on every version and range.
 */
export const RANGE_OPTIONS: Readonly<{ includePrerelease: true; loose: false }> = Object.freeze({ includePrerelease: true, loose: false });

export interface RangeOptions {
  includePrerelease?: boolean;
  loose?: boolean;
}

/** npm's parsed version (major, minor, patch, prerelease, build), or undefined for a non-version. */
export function parseVersion(text: string, options: RangeOptions = RANGE_OPTIONS): semverModule.SemVer | undefined {
  return npmSemver().parse(text, options) ?? undefined;
}

/**
 * Does `version` satisfy `range`? Throws on a version or range npm cannot read, so a typo is an
 * error rather than a silent match.
 */
export function satisfies(version: string, range: string, options: RangeOptions = RANGE_OPTIONS): boolean {
  if (npmSemver().parse(version, options) === null) throw new Error(`"${version}" is not a semver version`);
  if (npmSemver().validRange(range, options) === null) throw new Error(`"${range}" is not a semver range`);
  return npmSemver().satisfies(version, range, options);
}

/** npm's precedence order: -1, 0 or 1 (build metadata ignored, `1.0.0-beta.2 < 1.0.0-beta.10`). */
export function compareVersions(a: string, b: string, options: RangeOptions = RANGE_OPTIONS): -1 | 0 | 1 {
  return npmSemver().compare(a, b, options);
}

/** The normalised range (`1.0.0 - 2.0.0` → `>=1.0.0 <=2.0.0`), or undefined when it is not one. */
export function validRange(range: string, options: RangeOptions = RANGE_OPTIONS): string | undefined {
  return npmSemver().validRange(range, options) ?? undefined;
}
