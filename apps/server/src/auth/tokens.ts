import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { SymphonyError } from '@symphony/types';

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

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const TOKEN = /^sym_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * API tokens, stored hashed with scrypt in a JSON file (written atomically, mode 0600). The
 * plaintext is returned once by `create` and never stored. Verified tokens are remembered by
 * their SHA-256 for a minute so a busy client does not pay for scrypt on every request.
 */
export class TokenStore {
  private records: TokenRecord[] = [];
  private verified = new Map<string, { info: TokenInfo; until: number }>();
  /** Verifications in progress, so a burst of requests with one new token pays for scrypt once. */
  private pending = new Map<string, Promise<TokenInfo | undefined>>();

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<TokenStore> {
    const store = new TokenStore(file);
    try {
      store.records = JSON.parse(await readFile(file, 'utf8')).tokens ?? [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new SymphonyError('E_CONFIG_INVALID', `cannot read token store ${file}: ${(err as Error).message}`, { details: { file } });
      }
    }
    return store;
  }

  get size(): number {
    return this.records.length;
  }

  list(): TokenInfo[] {
    return this.records.map(({ salt: _s, hash: _h, ...info }) => info);
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
    this.records.push(record);
    await this.save();
    const { salt: _s, hash: _h, ...info } = record;
    return { token: `sym_${id}_${secret}`, info };
  }

  async revoke(id: string): Promise<boolean> {
    const before = this.records.length;
    this.records = this.records.filter((r) => r.id !== id);
    this.verified.clear();
    if (this.records.length !== before) await this.save();
    return this.records.length !== before;
  }

  /** The token's info if it is genuine and unexpired, else undefined. */
  async verify(token: string): Promise<TokenInfo | undefined> {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const digest = createHash('sha256').update(token).digest('hex');
    const cached = this.verified.get(digest);
    const now = Date.now();
    if (cached && cached.until > now && !expired(cached.info, now)) return cached.info;
    const record = this.records.find((r) => r.id === m[1]);
    if (!record || expired(record, now)) return undefined;
    let pending = this.pending.get(digest);
    if (!pending) {
      pending = this.check(record, m[2] as string, digest).finally(() => this.pending.delete(digest));
      this.pending.set(digest, pending);
    }
    return pending;
  }

  private async check(record: TokenRecord, secret: string, digest: string): Promise<TokenInfo | undefined> {
    const hash = await scrypt(secret, Buffer.from(record.salt, 'base64'), 32, SCRYPT);
    if (!timingSafeEqual(hash, Buffer.from(record.hash, 'base64'))) return undefined;
    // Revoked while we hashed: refuse.
    if (!this.records.includes(record)) return undefined;
    const { salt: _s, hash: _h, ...info } = record;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(digest, { info, until: Date.now() + 60_000 });
    return info;
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ tokens: this.records }, null, 2), { mode: 0o600 });
    await rename(tmp, this.file);
  }
}

function expired(info: { expiresAt?: string }, now: number): boolean {
  return info.expiresAt !== undefined && Date.parse(info.expiresAt) <= now;
}
