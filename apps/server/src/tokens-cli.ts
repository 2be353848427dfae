import { join } from 'node:path';
import { SCOPES, TokenStore, type Scope } from './auth/tokens.js';

/**
 * `symphony tokens create --scope run [--name ci] [--ttl-days 30]`, `tokens list`,
 * `tokens revoke <id>`. The plaintext token is printed once and never stored.
 */
export async function tokensCommand(args: string[], home: string, out: (line: string) => void = console.log): Promise<number> {
  const store = await TokenStore.open(join(home, 'tokens.json'));
  const [sub, ...rest] = args;
  const flag = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  switch (sub) {
    case 'create': {
      const scopes = (flag('scope') ?? '').split(',').filter(Boolean) as Scope[];
      if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s))) {
        out(`usage: symphony tokens create --scope <${SCOPES.join('|')}>[,...] [--name <name>] [--ttl-days <n>]`);
        return 2;
      }
      const ttlDays = Number(flag('ttl-days') ?? 0);
      const { token, info } = await store.create(flag('name') ?? 'token', scopes, ttlDays > 0 ? ttlDays * 86_400_000 : undefined);
      out(token);
      out(`# id ${info.id}, scopes ${info.scopes.join(',')}${info.expiresAt ? `, expires ${info.expiresAt}` : ''}. Shown once: store it now.`);
      return 0;
    }
    case 'list':
      for (const t of store.list()) out(`${t.id}  ${t.name.padEnd(16)} ${t.scopes.join(',').padEnd(14)} created ${t.createdAt}${t.expiresAt ? `  expires ${t.expiresAt}` : ''}`);
      return 0;
    case 'revoke': {
      const id = rest[0];
      if (!id) {
        out('usage: symphony tokens revoke <id>');
        return 2;
      }
      const removed = await store.revoke(id);
      out(removed ? `revoked ${id}` : `no token ${id}`);
      return removed ? 0 : 1;
    }
    default:
      out('usage: symphony tokens create|list|revoke');
      return 2;
  }
}
