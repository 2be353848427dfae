import { join, resolve } from 'node:path';
import { runSdkCli } from '@symphony/sdk/cli';
import { runMarketplaceCli } from '@symphony/marketplace';
import { createAuditLog } from '@symphony/sandbox';
import { SymphonyError } from '@symphony/types';

const AUTHORING = new Set(['create', 'dev', 'test', 'pack', 'publish', 'keys']);
const MARKET = new Set(['install', 'update', 'uninstall', 'list', 'outdated', 'search', 'info', 'trust']);

export const EXT_USAGE = `symphony ext <command>

  create | dev | test | pack | publish | keys     author an extension (symphony-sdk)
  install | update | uninstall | list | outdated | search | info | trust   the marketplace
  audit [--extension <id>] [--limit N] [--json]   the sandbox's audit log

--home defaults to ./.symphony, the store \`symphony run\` uses (installed extensions live in <home>/extensions).`;

/** `symphony ext …`: the SDK's authoring CLI, the marketplace, and the sandbox audit log. */
export async function extCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === 'help' || sub === '--help') {
    process.stdout.write(`${EXT_USAGE}\n`);
    return sub ? 0 : 2;
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
  throw new SymphonyError('E_INPUT_INVALID', `unknown ext command "${sub}"\n${EXT_USAGE}`, { details: { command: sub } });
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
