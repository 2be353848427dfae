import { join, resolve } from 'node:path';
import { USAGE as SDK_USAGE, runSdkCli } from '@symphony/sdk/cli';
import { MARKETPLACE_USAGE, runMarketplaceCli } from '@symphony/marketplace';
import { createAuditLog } from '@symphony/sandbox';
import { SymphonyError } from '@symphony/types';

const AUTHORING = new Set(['create', 'dev', 'test', 'pack', 'publish', 'keys']);
const MARKET = new Set(['install', 'update', 'uninstall', 'list', 'outdated', 'search', 'info', 'trust']);

export const EXT_USAGE = `symphony ext <command>

  create | dev | test | pack | publish | keys     author an extension (symphony-sdk)
  install | update | uninstall | list | outdated | search | info | trust   the marketplace
  audit [--extension <id>] [--limit N] [--json]   the sandbox's audit log

--home defaults to ./.symphony, the store \`symphony run\` uses (installed extensions live in <home>/extensions).`;

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
    const usage = AUTHORING.has(sub) ? SDK_USAGE.replaceAll('symphony-sdk', 'symphony ext') : MARKET.has(sub) ? MARKETPLACE_USAGE.replaceAll('symphony-marketplace', 'symphony ext') : sub === 'audit' ? AUDIT_USAGE : undefined;
    if (usage) {
      const lines = usage.split('\n');
      const own = lines.filter((line) => new RegExp(`^\\s+${sub}\\b`).test(line));
      process.stdout.write(`${own.length > 0 ? [`symphony ext ${sub}`, '', ...own, '', ...lines.filter((l) => /^\s+--/.test(l))].join('\n') : usage}\n`);
      return 0;
    }
  }
  if (AUTHORING.has(sub)) return runSdkCli(args);
  const home = flag(rest, '--home') ?? process.env.SYMPHONY_HOME ?? '.symphony';
  if (MARKET.has(sub)) return runMarketplaceCli(flag(rest, '--home') ? args : [...args, '--home', resolve(home)]);
  if (sub === 'audit') {
    const extensionId = flag(rest, '--extension');
    const limit = Number(flag(rest, '--limit') ?? 50);
    const audit = createAuditLog(join(resolve(home), 'audit.jsonl'));
    try {
      const entries = audit.read({ ...(extensionId ? { extensionId } : {}), limit });
      if (rest.includes('--json')) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      else for (const e of entries) process.stdout.write(`${e.time}  ${e.kind.padEnd(7)} ${e.extensionId}@${e.version ?? '?'}  ${e.operation ?? ''} ${e.target ?? ''}${e.rule ? `  (${e.rule})` : ''}\n`);
      if (entries.length === 0) process.stdout.write('no audit entries\n');
      return 0;
    } finally {
      audit.close();
    }
  }
  throw new SymphonyError('E_USAGE', `unknown ext command "${sub}"\n${EXT_USAGE}`, { details: { command: sub } });
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
