import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written by the SDK's build (tsup `define`): the versions of the packages a template depends on. */
declare const __SYMPHONY_TEMPLATE_VERSIONS__: Record<string, string> | undefined;

/** The @symphony/* packages a new project depends on (see templates/_shared/package.json.tmpl). */
export const TEMPLATE_PACKAGES: readonly string[] = ['sdk', 'vdom', 'extension-loader', 'kernel', 'sandbox'];

/**
 * Each template dependency's version as this SDK was released with it, so a new project asks
 * for ranges that exist (`@symphony/vdom` has its own version, not the SDK's). From source
 * (tests), the workspace's package folders beside `sdkRoot` answer.
 */
export function templateVersions(sdkRoot: string): Record<string, string> {
  if (typeof __SYMPHONY_TEMPLATE_VERSIONS__ !== 'undefined') return __SYMPHONY_TEMPLATE_VERSIONS__;
  const out: Record<string, string> = {};
  for (const name of TEMPLATE_PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(sdkRoot, '..', name, 'package.json'), 'utf8')) as { version: string };
    out[`@symphony/${name}`] = pkg.version;
  }
  return out;
}
