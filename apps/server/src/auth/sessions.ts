import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SymphonyError } from '@symphony/types';
import type { Scope, TokenInfo } from './tokens.js';

export interface Session {
  id: string;
  tokenId: string;
  scopes: Scope[];
  csrf: string;
  expiresAt: number;
}

interface StoredSession extends Omit<Session, 'id'> {
  /** SHA-256 of the session id: the file alone does not give a usable cookie. */
  idHash: string;
}

export interface SessionStoreOptions {
  /** Session lifetime. Default 8 hours. */
  ttlMs?: number;
  /** Live sessions kept at most; the oldest go first. Default 10 000. */
  maxSessions?: number;
  /** Live sessions one token may hold; its oldest go first (a login loop cannot fill the store). Default 50. */
  maxPerToken?: number;
  now?: () => number;
}

/**
 * Web UI sessions: the cookie carries `<id>.<hmac>`, so a forged id fails the signature before
 * any lookup; the session itself lives server-side and expires. A CSRF token is issued with each
 * session and must come back in `x-csrf-token` on every state-changing request.
 *
 * `SessionStore.open(dir)` keeps the signing key (`session.key`, mode 0600) and the sessions
 * (`sessions.json`, ids stored hashed) in the home, so a restart logs nobody out. A session ends
 * on logout, at its expiry, or when the token it was opened with is revoked.
 */
export class SessionStore {
  private sessions = new Map<string, StoredSession>();
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly maxSessions: number;
  private readonly maxPerToken: number;
  private readonly now: () => number;
  private readonly file: string | undefined;

  constructor(
    key: Buffer = randomBytes(32),
    options: SessionStoreOptions & { file?: string } = {},
  ) {
    this.key = key;
    this.ttlMs = options.ttlMs ?? 8 * 3600_000;
    this.maxSessions = options.maxSessions ?? 10_000;
    this.maxPerToken = options.maxPerToken ?? 50;
    this.now = options.now ?? Date.now;
    this.file = options.file;
    if (this.file) this.load();
  }

  /** A store persisted under `dir` (`<home>/server`): its key is created on first use. */
  static open(dir: string, options: SessionStoreOptions = {}): SessionStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyFile = join(dir, 'session.key');
    let key: Buffer;
    try {
      key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
      if (key.length < 32) throw new Error('the key is shorter than 32 bytes');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new SymphonyError('E_CONFIG_INVALID', `cannot read the session key ${keyFile}: ${(err as Error).message}`, { details: { path: keyFile } });
      }
      key = randomBytes(32);
      writeFileSync(keyFile, key.toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    return new SessionStore(key, { ...options, file: join(dir, 'sessions.json') });
  }

  create(token: TokenInfo): { cookie: string; session: Session } {
    const id = randomBytes(18).toString('base64url');
    const session: Session = { id, tokenId: token.id, scopes: token.scopes, csrf: randomBytes(18).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    const { id: _id, ...rest } = session;
    const mine = [...this.sessions.values()].filter((s) => s.tokenId === token.id);
    for (const old of mine.slice(0, Math.max(0, mine.length - this.maxPerToken + 1))) this.sessions.delete(old.idHash);
    this.sessions.set(hashId(id), { ...rest, idHash: hashId(id) });
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
    this.save();
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
    const stored = this.sessions.get(hashId(id));
    if (!stored) return undefined;
    if (stored.expiresAt <= this.now()) {
      this.sessions.delete(stored.idHash);
      this.save();
      return undefined;
    }
    const { idHash: _h, ...rest } = stored;
    return { id, ...rest };
  }

  destroy(id: string): void {
    if (this.sessions.delete(hashId(id))) this.save();
  }

  /** Ends every session opened with one of these tokens (they were revoked). */
  destroyForTokens(tokenIds: readonly string[]): void {
    let changed = false;
    for (const [key, s] of this.sessions) if (tokenIds.includes(s.tokenId)) changed = this.sessions.delete(key) || changed;
    if (changed) this.save();
  }

  /** Ends every session opened with a token (after the token is revoked). */
  destroyForToken(tokenId: string): void {
    this.destroyForTokens([tokenId]);
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

  private load(): void {
    let stored: StoredSession[] = [];
    try {
      stored = (JSON.parse(readFileSync(this.file as string, 'utf8')) as { sessions?: StoredSession[] }).sessions ?? [];
    } catch {
      // None yet, or unreadable: everyone logs in again (nothing else is lost).
    }
    const now = this.now();
    for (const s of stored) if (typeof s?.idHash === 'string' && s.expiresAt > now) this.sessions.set(s.idHash, s);
  }

  private save(): void {
    if (!this.file) return;
    const now = this.now();
    const live = [...this.sessions.values()].filter((s) => s.expiresAt > now);
    const tmp = `${this.file}.${process.pid}.tmp`;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(tmp, JSON.stringify({ sessions: live }), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
