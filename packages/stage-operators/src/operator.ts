import { tmpdir } from 'node:os';
import { realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineOperator, type AnyMethod, type ExtensionDefinition, type ManifestInput } from '@symphony/sdk';
import { policyFromSource, sandboxContext, type Policy } from '@symphony/sandbox';
import { policyGuard, type PathGuard } from './guard.js';

/** What an operator's methods work with: where the workspace is and what they may touch. */
export interface OperatorEnvironment {
  id: string;
  version: string;
  workspace: string;
  policy: Policy;
  guard: PathGuard;
  /** True inside a sandboxed process (the host's policy); false when self-restrained by the manifest. */
  sandboxed: boolean;
}

/** The package root: `${extension}` of the built-in operators. */
export const OPERATORS_DIR: string = (() => {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  // src/ in tests; dist/ or dist/extensions/<name>/ once built
  const parts = here.split(/[\/]/);
  const dist = parts.lastIndexOf('dist');
  return dist === -1 ? dirname(here) : parts.slice(0, dist).join('/');
})();

/**
 * The environment inside a sandboxed process comes from the host (the same rules it enforces).
 * Elsewhere (a trusted worker, a test) the operator restrains itself to its own manifest, with
 * `${workspace}` = `SYMPHONY_WORKSPACE` or the working directory.
 */
export function operatorEnvironment(manifest: { id: string; version: string; permissions?: ManifestInput['permissions'] }, dir: string = OPERATORS_DIR): OperatorEnvironment {
  const inside = sandboxContext();
  if (inside) {
    return { id: inside.id, version: inside.version, workspace: inside.vars.workspace, policy: inside.policy, guard: policyGuard(inside.policy, inside.vars.workspace, inside), sandboxed: true };
  }
  const workspace = process.env.SYMPHONY_WORKSPACE ?? process.cwd();
  // The host's home (SYMPHONY_HOME, set by the CLI and the runtime): no path of it, whatever the manifest says.
  const home = process.env.SYMPHONY_HOME ? realOrResolved(process.env.SYMPHONY_HOME) : undefined;
  const policy = policyFromSource({
    manifest: manifest.permissions ?? {},
    vars: { workspace, extension: dir, tmp: join(tmpdir(), `symphony-${manifest.id}`) },
    ...(home ? { protectedPaths: [{ root: home, rule: 'host:home' }] } : {}),
  });
  return { id: manifest.id, version: manifest.version, workspace, policy, guard: policyGuard(policy, workspace, manifest), sandboxed: false };
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The Operator base: an SDK operator whose methods are built from an environment resolved once,
 * on the first call, in the process that serves them (so a sandboxed child uses the host's policy).
 */
export function defineBuiltinOperator<M extends Record<string, AnyMethod>>(manifest: ManifestInput & { id: string; version: string }, build: (env: () => OperatorEnvironment) => M): ExtensionDefinition<M> {
  let env: OperatorEnvironment | undefined;
  const lazy = (): OperatorEnvironment => (env ??= operatorEnvironment(manifest));
  return defineOperator({ manifest, methods: build(lazy) });
}
