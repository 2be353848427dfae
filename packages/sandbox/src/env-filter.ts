import type { Policy } from './policy.js';

/** Never passed, granted or not: each could undo the sandbox from inside (preloads, library paths). */
const NEVER_PASSED = /^(NODE_OPTIONS|NODE_PATH|NODE_REPL_EXTERNAL_MODULE|LD_[A-Z_]+|DYLD_[A-Z_]+|BASH_ENV|ENV|GCONV_PATH)$/;

export interface EnvFilterResult {
  env: Record<string, string>;
  /** Names removed because the extension has no grant for them. */
  dropped: string[];
  /** Names refused even though granted, because they could disable the sandbox. */
  refused: string[];
}

/**
 * Keeps only the variables the policy grants, plus `protocol` names the bus itself sets for the
 * child (e.g. `SYMPHONY_LAUNCH_DATA`). Nothing else reaches the child: not even PATH or HOME.
 */
export function filterEnv(env: Record<string, string | undefined>, policy: Policy, protocol: readonly string[] = []): EnvFilterResult {
  const out: Record<string, string> = {};
  const dropped: string[] = [];
  const refused: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (protocol.includes(name)) {
      out[name] = value;
    } else if (NEVER_PASSED.test(name)) {
      if (policy.decide({ kind: 'env', name }).allow) refused.push(name);
      else dropped.push(name);
    } else if (policy.decide({ kind: 'env', name }).allow) {
      out[name] = value;
    } else {
      dropped.push(name);
    }
  }
  return { env: out, dropped, refused };
}
