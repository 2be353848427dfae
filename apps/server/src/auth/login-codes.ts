import { createHash, randomBytes } from 'node:crypto';
import type { TokenInfo } from './tokens.js';

/**
 * One-time login codes: a launcher on this machine (the desktop app) hands the browser a code
 * instead of an API token. A code is random (192 bits), works once, and expires after `ttlMs`;
 * the browser exchanges it with `POST /auth/login { code }` for the usual session cookie, so a
 * code left in a history entry or a screenshot is worthless afterwards.
 */
export class LoginCodes {
  private readonly codes = new Map<string, { token: TokenInfo; expiresAt: number }>();
  constructor(private readonly ttlMs = 60_000, private readonly max = 32) {}

  /** A new code for `token`'s identity and scopes. */
  issue(token: TokenInfo): string {
    this.sweep();
    // Bounded: the oldest codes go first.
    while (this.codes.size >= this.max) this.codes.delete(this.codes.keys().next().value as string);
    const code = randomBytes(24).toString('base64url');
    this.codes.set(key(code), { token, expiresAt: Date.now() + this.ttlMs });
    return code;
  }

  /** The token a code stands for, consuming the code; undefined when unknown, used or expired. */
  redeem(code: string): TokenInfo | undefined {
    this.sweep();
    const k = key(code);
    const entry = this.codes.get(k);
    if (!entry) return undefined;
    this.codes.delete(k);
    return entry.token;
  }

  /** Codes issued and not yet used or expired. */
  get pending(): number {
    this.sweep();
    return this.codes.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, v] of this.codes) if (v.expiresAt <= now) this.codes.delete(k);
  }
}

/** Codes are kept by their hash: a heap dump does not hold usable codes. */
const key = (code: string) => createHash('sha256').update(code).digest('base64url');
