import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import semver from 'semver';
import { createMarketplace, parseSpec, type ConsentRequest, type InstallReport } from './marketplace.js';
import { currentGeneration, paths, readLockfile } from './layout.js';
import type { RemotePackument, RemoteVersion } from './registry-client.js';

export interface MarketplaceCliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean };
  cwd: string;
  env: Record<string, string | undefined>;
}

export const MARKETPLACE_USAGE = `symphony-marketplace <command> [--home <dir>] [--registry <url>]...

  search [words] [--limit n]     find extensions across the registries (no words: every one)
  info <id>[@version|@tag]       publisher, description, versions and the permissions it asks for
  install <id>[@range]...        resolve, verify, ask consent, install atomically [--yes]
  update [id[@tag|@range]...]    newest compatible versions, or the tag/range given (new permissions need consent) [--yes]
  uninstall <id>                 remove it and the dependencies nothing else needs
  list                           what is installed (from the lockfile)
  outdated                       installed versions with newer ones available
  trust <publisher> --namespace <ns> --key <file.pub.json | base64url>
  verify                         re-verify the lockfile and every installed folder against its signature

  --home defaults to $SYMPHONY_HOME or ~/.symphony; --registry to $SYMPHONY_REGISTRY, then to the
  registries the lockfile recorded. An npm-protocol registry is written npm:<url>.`;

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
    // --registry, else $SYMPHONY_REGISTRY, else the registries the lockfile recorded (update, outdated).
    const registries = values.registry ?? (io.env.SYMPHONY_REGISTRY ? io.env.SYMPHONY_REGISTRY.split(',') : await lockfileRegistries(home));
    if (registries.length === 0 && ['search', 'info', 'install', 'update', 'outdated'].includes(command)) {
      throw new SymphonyError('E_USAGE', `no registry to ask: pass --registry <url> (npm:<url> for an npm registry) or set SYMPHONY_REGISTRY`, { details: { command } });
    }
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
        // No words lists every extension the registries hold (most downloaded first), in the same pages.
        const query = args.join(' ').trim();
        const limit = values.limit === undefined ? 10 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new SymphonyError('E_USAGE', `--limit must be a whole number from 1 to 100, not "${values.limit}"`, { details: { limit: values.limit } });
        const hits = await mkt.search(query, { limit });
        if (values.json) out(JSON.stringify(hits));
        else for (const h of hits) out(`${h.id}@${h.version}  ${h.description ?? ''}${h.deprecated ? '  (deprecated)' : ''}`);
        if (!values.json && hits.length === 0) io.stderr.write(query ? `no extension matches "${query}"\n` : `no extensions in ${registries.join(', ')}\n`);
        if (!values.json && hits.length === limit && limit < 100) io.stderr.write(`the first ${limit} shown: --limit ${Math.min(100, limit * 2)} for more\n`);
        return 0;
      }
      case 'info': {
        const { id, spec } = parseSpec(need(args[0], 'info <id>[@version|@tag|@range]'));
        const info = await mkt.info(id);
        const version = pickVersion(info, spec);
        if (!version) throw new SymphonyError('E_NOT_FOUND', `${id} has no version matching "${spec}" (versions: ${Object.keys(info.versions).join(', ')})`, { details: { id, spec } });
        const meta = info.versions[version] as RemoteVersion;
        if (values.json) {
          out(JSON.stringify({ ...info, selected: meta }));
          return 0;
        }
        out(`${id}@${version}${meta.deprecated ? `  (deprecated: ${meta.deprecated})` : ''}${meta.yanked ? '  (yanked)' : ''}`);
        if (meta.description) out(meta.description);
        out('');
        out(`publisher:   ${meta.publisher || info.publisher}${meta.keyId ? ` (key ${meta.keyId})` : ''}`);
        out(`kind:        ${meta.kind || '?'}`);
        out(`registry:    ${info.registry}`);
        out(`dist-tags:   ${Object.entries(info.distTags).map(([t, v]) => `${t}=${v}`).join(', ') || 'none'}`);
        out(`versions:    ${semver.rsort(Object.keys(info.versions).filter((v) => semver.valid(v))).join(', ')}`);
        if (Object.keys(meta.dependencies ?? {}).length > 0) out(`depends on:  ${Object.entries(meta.dependencies ?? {}).map(([d, r]) => `${d}@${r}`).join(', ')}`);
        out('installing it asks you to grant:');
        for (const line of meta.permissions) out(`  ${line}`);
        if (meta.permissions.length === 0) out('  nothing (no permissions)');
        return 0;
      }
      case 'install':
        if (args.length === 0) need(undefined, 'install <id>[@range]...');
        report(await mkt.install(args));
        return 0;
      case 'update': {
        // `update acme.csv@latest` / `@2` moves that extension to the tag or range given.
        const withSpec = args.filter((a) => a.indexOf('@', 1) > 0);
        if (withSpec.length > 0) report(await mkt.install(withSpec));
        const plain = args.filter((a) => a.indexOf('@', 1) < 0);
        if (plain.length > 0 || args.length === 0) report(await mkt.update(plain.length > 0 ? plain : undefined));
        return 0;
      }
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

/** A dist-tag, an exact version or the highest version in a range. */
function pickVersion(info: RemotePackument, spec: string): string | undefined {
  const tagged = Object.prototype.hasOwnProperty.call(info.distTags, spec) ? info.distTags[spec] : undefined;
  if (tagged && Object.prototype.hasOwnProperty.call(info.versions, tagged)) return tagged;
  if (Object.prototype.hasOwnProperty.call(info.versions, spec)) return spec;
  if (!semver.validRange(spec)) return undefined;
  return semver.maxSatisfying(Object.keys(info.versions).filter((v) => !info.versions[v]?.yanked), spec) ?? undefined;
}

/** The registries the current lockfile installed from (for update and outdated without --registry). */
async function lockfileRegistries(home: string): Promise<string[]> {
  try {
    const p = paths(home);
    const lock = await readLockfile(p, await currentGeneration(p));
    return [...new Set(Object.values(lock.extensions).map((e) => e.registry).filter((r): r is string => typeof r === 'string' && r !== ''))];
  } catch {
    return [];
  }
}

function need(value: string | undefined, usage: string): string {
  if (!value) throw new SymphonyError('E_USAGE', `usage: symphony-marketplace ${usage}`, { details: { usage } });
  return value;
}
