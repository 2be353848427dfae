import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import { createMarketplace, type ConsentRequest, type InstallReport } from './marketplace.js';

export interface MarketplaceCliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean };
  cwd: string;
  env: Record<string, string | undefined>;
}

export const MARKETPLACE_USAGE = `symphony-marketplace <command> [--home <dir>] [--registry <url>]...

  search <words>                 find extensions across the registries
  info <id>                      versions, dist-tags and permissions of one extension
  install <id>[@range]...        resolve, verify, ask consent, install atomically [--yes]
  update [id...]                 newest compatible versions (new permissions need consent) [--yes]
  uninstall <id>                 remove it and the dependencies nothing else needs
  list                           what is installed (from the lockfile)
  outdated                       installed versions with newer ones available
  trust <publisher> --namespace <ns> --key <file.pub.json | base64url>
  verify                         re-verify the lockfile and every installed folder against its signature

  --home defaults to $SYMPHONY_HOME or ~/.symphony; --registry to $SYMPHONY_REGISTRY.`;

/** `symphony-marketplace …` as a function (apps/cli maps `symphony ext install …` onto it). */
export async function runMarketplaceCli(argv: string[], io: MarketplaceCliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env }): Promise<number> {
  const out = (line = '') => io.stdout.write(`${line}\n`);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        home: { type: 'string' },
        registry: { type: 'string', multiple: true },
        yes: { type: 'boolean', short: 'y' },
        json: { type: 'boolean' },
        namespace: { type: 'string', multiple: true },
        key: { type: 'string' },
        limit: { type: 'string' },
      },
    });
    const [command, ...args] = positionals;
    if (!command) {
      io.stderr.write(`${MARKETPLACE_USAGE}\n`);
      return 2;
    }
    const home = resolve(io.cwd, values.home ?? io.env.SYMPHONY_HOME ?? join(homedir(), '.symphony'));
    const registries = values.registry ?? (io.env.SYMPHONY_REGISTRY ? io.env.SYMPHONY_REGISTRY.split(',') : []);
    const consent = async (requests: ConsentRequest[]): Promise<boolean> => {
      for (const r of requests) {
        out(`${r.id}@${r.version} (publisher ${r.publisher})${r.previousVersion ? ` updating from ${r.previousVersion}` : ''} asks for:`);
        for (const line of r.permissions) out(`  ${r.added.includes(line) ? '+' : ' '} ${line}`);
      }
      if (values.yes) return true;
      if (!io.stdin.isTTY) {
        out('not granted: run again with --yes to consent to these permissions');
        return false;
      }
      const rl = createInterface({ input: io.stdin, output: io.stdout });
      const answer = await rl.question('Grant these permissions? [y/N] ');
      rl.close();
      return /^y(es)?$/i.test(answer.trim());
    };
    const mkt = await createMarketplace({ home, registries, consent });
    const report = (r: InstallReport) => {
      if (values.json) return out(JSON.stringify(r));
      for (const a of r.added) out(`+ ${a.id}@${a.version}`);
      for (const u of r.updated) out(`~ ${u.id} ${u.from} → ${u.to}`);
      for (const d of r.removed) out(`- ${d.id}@${d.version}`);
      for (const w of r.warnings) out(`warning: ${w}`);
      if (r.added.length + r.updated.length + r.removed.length === 0) out('nothing to change');
    };
    switch (command) {
      case 'search': {
        const hits = await mkt.search(args.join(' '), { limit: Number(values.limit ?? 10) });
        if (values.json) out(JSON.stringify(hits));
        else for (const h of hits) out(`${h.id}@${h.version}  ${h.description ?? ''}${h.deprecated ? '  (deprecated)' : ''}`);
        return 0;
      }
      case 'info': {
        const info = await mkt.info(need(args[0], 'info <id>'));
        out(JSON.stringify(values.json ? info : { id: info.id, distTags: info.distTags, versions: Object.keys(info.versions), registry: info.registry }, null, values.json ? 0 : 2));
        return 0;
      }
      case 'install':
        if (args.length === 0) need(undefined, 'install <id>[@range]...');
        report(await mkt.install(args));
        return 0;
      case 'update':
        report(await mkt.update(args.length > 0 ? args : undefined));
        return 0;
      case 'uninstall':
        report(await mkt.uninstall(need(args[0], 'uninstall <id>')));
        return 0;
      case 'list': {
        const list = await mkt.list();
        if (values.json) out(JSON.stringify(list));
        else for (const e of list) out(`${e.id}@${e.version}${e.requested ? '' : ' (dependency)'}  ${e.permissions.join(', ') || 'no permissions'}`);
        return 0;
      }
      case 'outdated': {
        const rows = await mkt.outdated();
        if (values.json) out(JSON.stringify(rows));
        else for (const r of rows) out(`${r.id}  current ${r.current}  wanted ${r.wanted}  latest ${r.latest}`);
        return 0;
      }
      case 'trust': {
        const publisher = need(args[0], 'trust <publisher> --namespace <ns> --key <key>');
        const key = need(values.key, 'trust <publisher> --namespace <ns> --key <key>');
        const publicKey = key.endsWith('.json') ? (JSON.parse(await readFile(resolve(io.cwd, key), 'utf8')) as { publicKey: string }).publicKey : key;
        await mkt.trust(publisher, values.namespace ?? [publisher], publicKey);
        out(`trusting ${publisher} for ${(values.namespace ?? [publisher]).join(', ')}`);
        return 0;
      }
      case 'verify': {
        const verified = await mkt.verify();
        if (values.json) out(JSON.stringify(verified));
        else out(`${verified.length} installed extension${verified.length === 1 ? '' : 's'} verified`);
        return 0;
      }
      default:
        throw new SymphonyError('E_USAGE', `unknown command "${command}"\n${MARKETPLACE_USAGE}`, { details: { command } });
    }
  } catch (error) {
    const e = toSymphonyError(error, 'E_USAGE');
    io.stderr.write(`error ${e.code}: ${e.message}\n`);
    return e.code === 'E_USAGE' ? 2 : 1;
  }
}

function need(value: string | undefined, usage: string): string {
  if (!value) throw new SymphonyError('E_USAGE', `usage: symphony-marketplace ${usage}`, { details: { usage } });
  return value;
}
