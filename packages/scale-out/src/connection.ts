import { SymphonyError } from '@symphony/types';

/** Where Redis is and how to authenticate (ACL user and password; TLS options passed to Node's `tls.connect`). */
export interface RedisTarget {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** ACL user (overrides the URL's). */
  username?: string;
  /** ACL password (overrides the URL's). */
  password?: string;
  /** TLS options (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`…); `true` or a `rediss:` URL turns TLS on with defaults. */
  tls?: boolean | Record<string, unknown>;
}

/** ioredis options for BullMQ (`maxRetriesPerRequest: null`: commands wait for a reconnect instead of failing). */
export function redisOptions(target: string | RedisTarget): Record<string, unknown> {
  const t: RedisTarget = typeof target === 'string' ? { url: target } : target;
  let u: URL;
  try {
    u = new URL(t.url);
  } catch {
    throw new SymphonyError('E_INPUT_INVALID', `scale-out: "${redact(t.url)}" is not a Redis URL (redis://[user:password@]host:port[/db] or rediss://…)`, { details: { url: redact(t.url) } });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new SymphonyError('E_INPUT_INVALID', `scale-out: the Redis URL must start with redis:// or rediss://, not ${u.protocol}//`, { details: { url: redact(t.url) } });
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new SymphonyError('E_INPUT_INVALID', `scale-out: the Redis database in "${redact(t.url)}" must be a number`, { details: { url: redact(t.url) } });
  const username = t.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
  const password = t.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
  const tls = t.tls === true || (t.tls === undefined && u.protocol === 'rediss:') ? {} : t.tls && typeof t.tls === 'object' ? t.tls : undefined;
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    // Reconnect forever, backing off to 1 s: dispatch pauses while Redis is away and resumes after.
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  };
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/**
 * Waits up to `ms` for Redis to answer PING. A refused login (`WRONGPASS`, `NOAUTH`, `NOPERM`) is
 * `E_REDIS_UNAVAILABLE` at once; an unreachable server is not an error here (callers pause and
 * resume with it): the result says whether it answered.
 */
export async function probe(redis: { ping(): Promise<unknown>; on(event: 'error', fn: (err: Error) => void): unknown; off(event: 'error', fn: (err: Error) => void): unknown }, url: string, ms = 3000): Promise<boolean> {
  let onError: ((err: Error) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      // A connection that gives up (no retry strategy) rejects the ping: unreachable, as a timeout
      // is, unless Redis refused the login.
      redis.ping().then(
        () => true,
        (err: Error) => {
          if (/WRONGPASS|NOAUTH|NOPERM|invalid username-password/i.test(err.message)) throw refused(url, err);
          return false;
        },
      ),
      new Promise<boolean>((_, reject) => {
        onError = (err) => {
          if (/WRONGPASS|NOAUTH|NOPERM|invalid username-password/i.test(err.message)) {
            reject(refused(url, err));
          }
        };
        redis.on('error', onError);
      }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    if (onError) redis.off('error', onError);
    clearTimeout(timer);
  }
}

function refused(url: string, err: Error): SymphonyError {
  return new SymphonyError('E_REDIS_UNAVAILABLE', `scale-out: Redis at ${url} refused the login (${err.message.split('\n')[0]}): check the ACL user and password (SYMPHONY_REDIS_USERNAME / SYMPHONY_REDIS_PASSWORD or the URL)`, { details: { url } });
}

/**
 * Milliseconds by the Redis server's clock (TIME): the one clock every machine of a scale-out set
 * shares, so a worker's heartbeat and the coordinator's liveness check agree whatever the skew of
 * the machines' own clocks. Falls back to this machine's clock if TIME is not answered.
 */
export async function redisNow(redis: { time(): Promise<unknown> }): Promise<number> {
  try {
    const [s, us] = (await redis.time()) as [string | number, string | number];
    const ms = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    return Number.isFinite(ms) ? ms : Date.now();
  } catch {
    return Date.now();
  }
}

/**
 * A worker registry entry is live when its heartbeat (`seen`, Redis time) is at most `ttlMs` old,
 * and not from the future: an entry stamped later than now + ttl was not written by a live worker
 * (forged, or by a clock we do not share) and would otherwise never expire.
 */
export function isLive(seen: unknown, now: number, ttlMs: number): boolean {
  return typeof seen === 'number' && Number.isFinite(seen) && now - seen <= ttlMs && seen - now <= ttlMs;
}
