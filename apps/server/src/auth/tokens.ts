import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { SymphonyError } from '@symphony/types/core';

const scrypt = promisify(scryptCb) as (secret: string, salt: Buffer, keylen: number, opts: object) => Promise<Buffer>;

export const SCOPES = ['read', 'run', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** `admin` implies `run` implies `read`. */
export function scopeAllows(granted: readonly Scope[], needed: Scope): boolean {
  const rank = { read: 0, run: 1, admin: 2 } as const;
  return granted.some((s) => rank[s] >= rank[needed]);
}

export interface TokenRecord {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt?: string;
  salt: string;
  hash: string;
}

export type TokenInfo = Omit<TokenRecord, 'salt' | 'hash'>;

/**
 * Why a token was refused. `malformed`, `unknown` and `expired` cost no hashing; `wrong` is a
 * failed scrypt; `locked` means the id failed too often lately; `busy` means too many hashes wait.
 */
export type TokenRefusal = 'malformed' | 'unknown' | 'expired' | 'wrong' | 'locked' | 'busy';
export type TokenCheck = { ok: true; info: TokenInfo } | { ok: false; reason: TokenRefusal; tokenId?: string; retryAfterMs?: number };

export interface TokenStoreOptions {
  /** Wrong secrets for one token id before it is locked out. Default 10. */
  lockoutAfter?: number;
  /** How long a failing token id stays locked (and the window its failures are counted in). Default 5 minutes. */
  lockoutMs?: number;
  /** scrypt hashes running at once (each holds a libuv thread). Default 2. */
  maxConcurrentHashes?: number;
  /** scrypt hashes allowed to wait; more are refused as `busy`. Default 64. */
  maxQueuedHashes?: number;
  now?: () => number;
}

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const TOKEN = /^sym_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * API tokens, stored hashed with scrypt in a JSON file (written atomically, mode 0600). The
 * plaintext is returned once by `create` and never stored. Verified tokens are remembered by
 * their SHA-256 for a minute so a busy client does not pay for scrypt on every request.
 *
 * The file is the source of truth: every check first compares its identity (inode, size,
 * mtime; one `stat`) with what was loaded and re-reads it when it changed, so
 * `symphony tokens create|revoke` in another process apply to a running server at once, and a
 * revoked token's cached verification is dropped with it.
 *
 * Guessing is bounded: hashes run a few at a time behind a bounded queue (so a flood of wrong
 * secrets cannot take the thread pool from everything else), and a token id whose secret is
 * wrong `lockoutAfter` times within `lockoutMs` is refused without hashing for `lockoutMs`
 * (a client that already holds the right token keeps working from the verified cache).
 */
export class TokenStore {
  private records: TokenRecord[] = [];
  private loaded = '';
  private verified = new Map<string, { info: TokenInfo; until: number }>();
  /** Verifications in progress, so a burst of requests with one new token pays for scrypt once. */
  private pending = new Map<string, Promise<TokenCheck>>();
  private failures = new Map<string, { count: number; since: number; lockedUntil: number }>();
  private hashing = 0;
  private waiting: Array<() => void> = [];
  private readonly listeners = new Set<(ids: string[]) => void>();
  private readonly opts: Required<Omit<TokenStoreOptions, 'now'>> & { now: () => number };

  private constructor(
    readonly file: string,
    options: TokenStoreOptions,
  ) {
    this.opts = { lockoutAfter: 10, lockoutMs: 5 * 60_000, maxConcurrentHashes: 2, maxQueuedHashes: 64, now: Date.now, ...options };
  }

  static async open(file: string, options: TokenStoreOptions = {}): Promise<TokenStore> {
    const store = new TokenStore(file, options);
    store.refresh(true);
    return store;
  }

  get size(): number {
    this.refresh();
    return this.records.length;
  }

  list(): TokenInfo[] {
    this.refresh();
    return this.records.map(({ salt: _s, hash: _h, ...info }) => info);
  }

  /** The token id's live (unrevoked, unexpired) info, after picking up changes to the file. */
  get(id: string): TokenInfo | undefined {
    this.refresh();
    const record = this.records.find((r) => r.id === id);
    if (!record || expired(record, this.opts.now())) return undefined;
    const { salt: _s, hash: _h, ...info } = record;
    return info;
  }

  /** Called with the ids that disappeared (revoked here or in the file by another process). */
  onRevoked(listener: (ids: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async create(name: string, scopes: Scope[], ttlMs?: number): Promise<{ token: string; info: TokenInfo }> {
    if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s))) {
      throw new SymphonyError('E_INPUT_INVALID', `scopes must be some of ${SCOPES.join(', ')}`, { details: { scopes } });
    }
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const salt = randomBytes(16);
    const hash = await scrypt(secret, salt, 32, SCRYPT);
    const record: TokenRecord = {
      id,
      name,
      scopes,
      createdAt: new Date().toISOString(),
      ...(ttlMs ? { expiresAt: new Date(Date.now() + ttlMs).toISOString() } : {}),
      salt: salt.toString('base64'),
      hash: hash.toString('base64'),
    };
    // Read-modify-write against the file as it is now, under a lock: another process (a second
    // `symphony tokens create`, the server) may be changing it at the same moment.
    await this.locked(async () => {
      this.refresh();
      this.records.push(record);
      await this.save();
    });
    const { salt: _s, hash: _h, ...info } = record;
    return { token: `sym_${id}_${secret}`, info };
  }

  async revoke(id: string): Promise<boolean> {
    return this.locked(async () => {
      this.refresh();
      const before = this.records.length;
      this.records = this.records.filter((r) => r.id !== id);
      if (this.records.length === before) return false;
      this.forget([id]);
      await this.save();
      return true;
    });
  }

  /**
   * Runs `fn` holding `<file>.lock` (created exclusively; one left by a crashed writer is taken
   * over after 10 s). Gives up with E_CONFLICT after about 10 s of waiting.
   */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`;
    await mkdir(dirname(this.file), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, 'wx', 0o600);
        await handle.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
        if (age > 10_000) await unlink(lock).catch(() => undefined);
        else if (attempt >= 400) {
          throw new SymphonyError('E_CONFLICT', `the token store ${this.file} is locked by another writer (${lock})`, { details: { path: lock } });
        }
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  /** The token's info if it is genuine and unexpired, else undefined. */
  async verify(token: string): Promise<TokenInfo | undefined> {
    const check = await this.check(token);
    return check.ok ? check.info : undefined;
  }

  /**
   * The token's info if it was verified within the last minute (no hashing: one SHA-256), so a
   * client that holds a good token is not refused with the guessers sharing its address.
   */
  cached(token: string): TokenInfo | undefined {
    if (!TOKEN.test(token)) return undefined;
    this.refresh();
    const hit = this.verified.get(createHash('sha256').update(token).digest('hex'));
    const now = this.opts.now();
    return hit && hit.until > now && !expired(hit.info, now) ? hit.info : undefined;
  }

  /** Like `verify`, with the reason for a refusal (the server answers `locked` and `busy` with 429/503). */
  async check(token: string): Promise<TokenCheck> {
    const m = TOKEN.exec(token);
    if (!m) return { ok: false, reason: 'malformed' };
    const tokenId = m[1] as string;
    this.refresh();
    const digest = createHash('sha256').update(token).digest('hex');
    const now = this.opts.now();
    const cached = this.verified.get(digest);
    if (cached && cached.until > now && !expired(cached.info, now)) return { ok: true, info: cached.info };
    const record = this.records.find((r) => r.id === tokenId);
    if (!record) return { ok: false, reason: 'unknown', tokenId };
    if (expired(record, now)) return { ok: false, reason: 'expired', tokenId };
    const failed = this.failures.get(tokenId);
    if (failed && failed.lockedUntil > now) return { ok: false, reason: 'locked', tokenId, retryAfterMs: failed.lockedUntil - now };
    let pending = this.pending.get(digest);
    if (!pending) {
      pending = this.hash(record, m[2] as string, digest).finally(() => this.pending.delete(digest));
      this.pending.set(digest, pending);
    }
    return pending;
  }

  private async hash(record: TokenRecord, secret: string, digest: string): Promise<TokenCheck> {
    if (this.hashing >= this.opts.maxConcurrentHashes) {
      if (this.waiting.length >= this.opts.maxQueuedHashes) return { ok: false, reason: 'busy', tokenId: record.id, retryAfterMs: 1000 };
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.hashing++;
    let hash: Buffer;
    try {
      hash = await scrypt(secret, Buffer.from(record.salt, 'base64'), 32, SCRYPT);
    } finally {
      this.hashing--;
      this.waiting.shift()?.();
    }
    const now = this.opts.now();
    if (!timingSafeEqual(hash, Buffer.from(record.hash, 'base64'))) {
      let f = this.failures.get(record.id);
      if (!f || now - f.since > this.opts.lockoutMs) {
        if (this.failures.size > 10_000) this.failures.clear();
        f = { count: 0, since: now, lockedUntil: 0 };
        this.failures.set(record.id, f);
      }
      if (++f.count >= this.opts.lockoutAfter) f.lockedUntil = now + this.opts.lockoutMs;
      return { ok: false, reason: 'wrong', tokenId: record.id };
    }
    // Revoked while we hashed: refuse.
    this.refresh();
    if (!this.records.some((r) => r.id === record.id && r.hash === record.hash)) return { ok: false, reason: 'unknown', tokenId: record.id };
    const { salt: _s, hash: _h, ...info } = record;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(digest, { info, until: now + 60_000 });
    return { ok: true, info };
  }

  /** Re-reads the file if it changed since it was loaded (one `stat` when it did not). */
  private refresh(initial = false): void {
    let signature: string;
    try {
      const st = statSync(this.file, { bigint: true });
      signature = `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unreadable(this.file, err);
      signature = 'absent';
    }
    if (signature === this.loaded) return;
    let records: TokenRecord[] = [];
    if (signature !== 'absent') {
      try {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { tokens?: unknown };
        if (!Array.isArray(parsed.tokens)) throw new Error('no "tokens" list');
        records = parsed.tokens as TokenRecord[];
      } catch (err) {
        // At start a broken file is an error; while serving, keep the tokens we had (the
        // writers replace the file atomically, so this is a person's edit in progress).
        if (initial) throw unreadable(this.file, err);
        return;
      }
    }
    const gone = this.records.filter((r) => !records.some((n) => n.id === r.id && n.hash === r.hash)).map((r) => r.id);
    this.records = records;
    this.loaded = signature;
    if (gone.length > 0) this.forget(gone);
  }

  private forget(ids: string[]): void {
    for (const [digest, v] of this.verified) if (ids.includes(v.info.id)) this.verified.delete(digest);
    for (const listener of this.listeners) listener(ids);
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify({ tokens: this.records }, null, 2), { mode: 0o600 });
    await rename(tmp, this.file);
    this.loaded = '';
    this.refresh();
  }
}

function unreadable(file: string, err: unknown): SymphonyError {
  return new SymphonyError('E_CONFIG_INVALID', `cannot read token store ${file}: ${(err as Error).message}`, { details: { file } });
}

function expired(info: { expiresAt?: string }, now: number): boolean {
  return info.expiresAt !== undefined && Date.parse(info.expiresAt) <= now;
}
