import { SymphonyError } from '@symphony/types';
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

/** The shortest shared secret accepted (bytes of UTF-8): `openssl rand -hex 32` gives 64. */
export const MIN_SECRET_BYTES = 16;

export function checkSecret(secret: unknown): string {
  if (typeof secret !== 'string' || Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw new SymphonyError('E_CONFIG_INVALID', `scale-out needs a shared secret of at least ${MIN_SECRET_BYTES} bytes to sign jobs (SYMPHONY_SCALE_OUT_SECRET, the same on the coordinator and every worker; e.g. openssl rand -hex 32)`, { details: { field: 'scaleOut.secret' } });
  }
  return secret;
}
