import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope, TokenInfo } from './tokens.js';

export interface Session {
  id: string;
  tokenId: string;
  scopes: Scope[];
  csrf: string;
  expiresAt: number;
}

/**
 * Web UI sessions: the cookie carries `<id>.<hmac>`, so a forged id fails the signature before
 * any lookup; the session itself lives server-side and expires. A CSRF token is issued with each
 * session and must come back in `x-csrf-token` on every state-changing request.
 */
export class SessionStore {
  private sessions = new Map<string, Session>();
  private readonly key: Buffer;

  constructor(
    key: Buffer = randomBytes(32),
    private readonly ttlMs = 8 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {
    this.key = key;
  }

  create(token: TokenInfo): { cookie: string; session: Session } {
    const id = randomBytes(18).toString('base64url');
    const session: Session = { id, tokenId: token.id, scopes: token.scopes, csrf: randomBytes(18).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(id, session);
    return { cookie: `${id}.${this.sign(id)}`, session };
  }

  /** The live session a cookie names, or undefined for a forged, unknown or expired one. */
  fromCookie(cookie: string | undefined): Session | undefined {
    if (!cookie) return undefined;
    const dot = cookie.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const id = cookie.slice(0, dot);
    const given = Buffer.from(cookie.slice(dot + 1));
    const expected = Buffer.from(this.sign(id));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session opened with a token (after the token is revoked). */
  destroyForToken(tokenId: string): void {
    for (const [id, s] of this.sessions) if (s.tokenId === tokenId) this.sessions.delete(id);
  }

  csrfMatches(session: Session, header: string | undefined): boolean {
    if (!header) return false;
    const a = Buffer.from(header);
    const b = Buffer.from(session.csrf);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private sign(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('base64url');
  }
}
