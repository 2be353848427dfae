import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `body` under the shared secret, hex. */
export function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Constant-time check of `sig` against `body`. */
export function verify(secret: string, body: string, sig: unknown): boolean {
  if (typeof sig !== 'string' || sig.length !== 64 || !/^[0-9a-f]+$/.test(sig)) return false;
  return timingSafeEqual(Buffer.from(sign(secret, body), 'hex'), Buffer.from(sig, 'hex'));
}

/** What travels in a BullMQ job's data and return value: a JSON body and its HMAC. */
export interface Signed {
  body: string;
  sig: string;
}

export function seal(secret: string, value: unknown): Signed {
  const body = JSON.stringify(value);
  return { body, sig: sign(secret, body) };
}
