import { join, resolve } from 'node:path';
import type { PermissionKind } from '@symphony/sandbox';
import { defaultHome } from '@symphony/config/home';
import { SymphonyError } from '@symphony/types/core';
// Each subcommand imports its own package (the SDK's authoring CLI, the marketplace, the sandbox's
// grants and audit log) when it runs: `ext list` does not load the SDK, nor `ext create` the sandbox.

const AUTHORING = new Set(['create', 'dev', 'test', 'pack', 'publish', 'keys']);
const MARKET = new Set<string>(['install', 'update', 'uninstall', 'list', 'outdated', 'search', 'info', 'trust']);

export const EXT_USAGE = `symphony ext <command>

  create | dev | test | pack | publish | keys     author an extension (symphony-sdk)
  install | update | uninstall | list | outdated | search | info | trust   the marketplace
  audit [--extension <id>] [--limit N] [--json]   the sandbox's audit log
  grant <id>[@version] <permission> <value>       allow beyond the manifest (fs.read, fs.write, net, child_process, env, worker)
  revoke <id>[@version] <permission> <value>      deny, even what the manifest asks for
  grants <id>[@version] [--json]                  the user's decisions for an installed extension

--home defaults to $SYMPHONY_HOME, else $XDG_DATA_HOME/symphony, else ~/.local/share/symphony: the home
\`symphony run\` uses (installed extensions live in <home>/extensions).`;

const AUDIT_USAGE = `symphony ext audit [--extension <id>] [--limit N] [--json] [--home dir]

  The sandbox's audit log: what installed extensions were allowed and denied.`;

/** `symphony ext …`: the SDK's authoring CLI, the marketplace, and the sandbox audit log. */
export async function extCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    (sub ? process.stdout : process.stderr).write(`${EXT_USAGE}\n`);
    return sub ? 0 : 2;
  }
  // `symphony ext <command> --help`: that command's lines, named as this CLI names them.
  if (rest.includes('--help') || rest.includes('-h')) {
    const usage = AUTHORING.has(sub)
      ? (await import('@symphony/sdk/cli')).USAGE.replaceAll('symphony-sdk', 'symphony ext')
      : MARKET.has(sub)
        ? (await import('@symphony/marketplace')).MARKETPLACE_USAGE.replaceAll('symphony-marketplace', 'symphony ext')
        : sub === 'audit'
          ? AUDIT_USAGE
          : sub === 'grant' || sub === 'revoke' || sub === 'grants'
            ? `${EXT_USAGE}\n  --home <dir>                                    the home whose grants.json this edits`
            : undefined;
    if (usage) {
      const lines = usage.split('\n');
      const own = lines.filter((line) => new RegExp(`^\\s+${sub}\\b`).test(line));
      process.stdout.write(`${own.length > 0 ? [`symphony ext ${sub}`, '', ...own, '', ...lines.filter((l) => /^\s+--/.test(l))].join('\n') : usage}\n`);
      return 0;
    }
  }
  if (AUTHORING.has(sub)) return (await import('@symphony/sdk/cli')).runSdkCli(args);
  const home = defaultHome({ flag: flag(rest, '--home') });
  if (MARKET.has(sub)) return (await import('@symphony/marketplace')).runMarketplaceCli(flag(rest, '--home') ? args : [...args, '--home', resolve(home)]);
  if (sub === 'grant' || sub === 'revoke' || sub === 'grants') return grantsCommand(sub, rest, resolve(home));
  if (sub === 'audit') {
    const extensionId = flag(rest, '--extension');
    const limit = Number(flag(rest, '--limit') ?? 50);
    const { createAuditLog } = await import('@symphony/sandbox');
    const audit = createAuditLog(join(resolve(home), 'audit.jsonl'));
    try {
      const entries = audit.read({ ...(extensionId ? { extensionId } : {}), limit });
      // With --json, stdout is the JSON alone (an empty log is `[]`).
      if (rest.includes('--json')) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      else if (entries.length === 0) process.stdout.write('no audit entries\n');
      else for (const e of entries) process.stdout.write(`${e.time}  ${e.kind.padEnd(7)} ${e.extensionId}@${e.version ?? '?'}  ${e.operation ?? ''} ${e.target ?? ''}${e.rule ? `  (${e.rule})` : ''}\n`);
      return 0;
    } finally {
      audit.close();
    }
  }
  throw new SymphonyError('E_USAGE', `unknown ext command "${sub}"\n${EXT_USAGE}`, { details: { command: sub } });
}

const EXTENSION_ID = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9_-]*)+$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/**
 * `symphony ext grant|revoke|grants`: the user's decisions in `<home>/grants.json`, keyed by the
 * installed version (a new version starts from its manifest again), each one audited.
 */
async function grantsCommand(sub: 'grant' | 'revoke' | 'grants', args: string[], home: string): Promise<number> {
  const positionals = withoutFlags(args);
  const [spec, permission, value] = positionals;
  const usage = `usage: symphony ext ${sub} <id>[@version]${sub === 'grants' ? '' : ' <permission> <value>'} [--home dir]`;
  if (!spec || (sub !== 'grants' && (!permission || value === undefined))) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const at = spec.indexOf('@', 1);
  const id = at < 0 ? spec : spec.slice(0, at);
  let version = at < 0 ? undefined : spec.slice(at + 1);
  // Decisions are keyed by `<id>@<version>`: a name that is no id (`../x`, `__proto__`) or a
  // version that is no semver (`__proto__`, `latest`) would be a decision nothing ever reads.
  if (!EXTENSION_ID.test(id) || (version !== undefined && !SEMVER.test(version))) {
    throw new SymphonyError('E_USAGE', `"${spec}" is not <id>[@version] (an extension id like acme.csv, a version like 1.2.3)\n${usage}`, { details: { spec } });
  }
  if (!version) {
    try {
      const { loadManifest } = await import('@symphony/manifest');
      version = (await loadManifest(join(home, 'extensions', id))).manifest.version;
    } catch (cause) {
      throw new SymphonyError('E_NOT_FOUND', `${id} is not installed in ${home}; name the version (${id}@1.2.3) to decide for one that is not`, { details: { id, home }, cause });
    }
  }
  const { createAuditLog, createGrantStore } = await import('@symphony/sandbox');
  const grants = createGrantStore(join(home, 'grants.json'));
  const ext = { id, version };
  if (sub === 'grants') {
    const records = grants.list(ext);
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
    else if (records.length === 0) process.stdout.write(`no decisions for ${id}@${version}: its manifest alone decides\n`);
    else for (const r of records) process.stdout.write(`${r.effect.padEnd(5)} ${r.permission} ${r.value}  (${r.at})\n`);
    return 0;
  }
  const audit = createAuditLog(join(home, 'audit.jsonl'));
  try {
    const record = sub === 'grant' ? grants.grant(ext, permission as PermissionKind, value as string) : grants.revoke(ext, permission as PermissionKind, value as string);
    audit.append({ kind: sub, extensionId: id, version, operation: sub, target: `${record.permission} ${record.value}`, rule: 'user' });
    process.stdout.write(`${sub === 'grant' ? 'granted' : 'revoked'} ${record.permission} ${record.value} for ${id}@${version}\n`);
    return 0;
  } finally {
    audit.close();
  }
}

function withoutFlags(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--home') i++;
    else if (!args[i]!.startsWith('--')) out.push(args[i]!);
  }
  return out;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
