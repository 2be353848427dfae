import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginCodes } from '../src/auth/login-codes.js';
import { startServer } from './helpers.js';

let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => { s = await startServer(); });
afterAll(async () => { await s?.server.close(); });

const login = (body: unknown) => fetch(`${s.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('one-time login codes (the desktop launcher\'s handover)', () => {
  it('a code logs in once with its token\'s scopes; used again, guessed or malformed it is refused', async () => {
    const { info } = await s.server.tokens.create('desktop', ['run']);
    const code = s.server.loginCodes.issue(info);
    const first = await login({ code });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { scopes: string[] }).scopes).toEqual(['run']);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await fetch(`${s.url}/auth/session`, { headers: { cookie } })).status).toBe(200);
    // Twice: no.
    expect((await login({ code })).status).toBe(401);
    // Guessed (right shape), too short, both fields, junk.
    expect((await login({ code: 'A'.repeat(32) })).status).toBe(401);
    expect((await login({ code: 'short' })).status).toBe(400);
    expect((await login({ code, token: 'x' })).status).toBe(400);
    expect((await login({ code: 42 })).status).toBe(400);
  });

  it('a code whose token was revoked meanwhile makes no session', async () => {
    const { info } = await s.server.tokens.create('gone', ['admin']);
    const code = s.server.loginCodes.issue(info);
    await s.server.tokens.revoke(info.id);
    expect((await login({ code })).status).toBe(401);
  });

  it('codes expire, and only a bounded number wait', async () => {
    const codes = new LoginCodes(0, 4);
    const info = { id: 't', name: 'n', scopes: ['read'] } as never;
    expect(codes.redeem(codes.issue(info))).toBeUndefined(); // expired at once (ttl 0)
    const live = new LoginCodes(60_000, 4);
    const issued = Array.from({ length: 6 }, () => live.issue(info));
    expect(live.pending).toBe(4);
    // The oldest went first; the newest still work, once.
    expect(live.redeem(issued[0]!)).toBeUndefined();
    expect(live.redeem(issued[5]!)).toBe(info);
    expect(live.redeem(issued[5]!)).toBeUndefined();
  });
});
