import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types';

/**
 * A failure sent by the peer, rebuilt with its code and remote stack, naming who and what failed.
 * The peer is not trusted: whatever it sent (null, a number, a string `details`, a bad `cause`,
 * a code that is no `E_` code) gives a SymphonyError and never throws in the host.
 */
export function remoteError(json: unknown, peer: string, method: string): SymphonyError {
  if (!isRecord(json)) {
    return new SymphonyError('E_PROTOCOL', `${peer}/${method} failed with a malformed error (${json === null ? 'null' : typeof json} instead of an object)`, {
      details: { extensionId: peer, method },
    });
  }
  const rawCode = json.code;
  const code = typeof rawCode === 'string' && /^E_[A-Z0-9_]+$/.test(rawCode) ? (rawCode as `E_${string}`) : 'E_EXTENSION_ERROR';
  const details: Record<string, unknown> = isRecord(json.details) ? { ...json.details } : {};
  if (rawCode !== undefined && code !== rawCode) details.originalCode = typeof rawCode === 'string' ? rawCode : String(rawCode);
  const message = typeof json.message === 'string' ? json.message : `${peer}/${method} failed`;
  const clean: SymphonyErrorJSON = { name: 'SymphonyError', code, message, details, ...(typeof json.stack === 'string' ? { stack: json.stack } : {}) };
  let error: SymphonyError;
  try {
    error = SymphonyError.fromJSON(isRecord(json.cause) ? { ...clean, cause: json.cause as SymphonyErrorJSON['cause'] } : clean);
  } catch {
    error = SymphonyError.fromJSON(clean); // a cause that cannot be revived is dropped
  }
  error.details.extensionId ??= peer;
  error.details.method ??= method;
  return error;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The call ran out of time; `state` says whether the peer had started on it. */
export function timeoutError(peer: string, method: string, timeoutMs: number, state: string): SymphonyError {
  return new SymphonyError('E_TIMEOUT', `${peer}/${method} did not finish within ${timeoutMs} ms (${state})`, {
    details: { extensionId: peer, method, timeoutMs },
  });
}

/** The caller cancelled; the signal's reason, if any, is kept as the cause. */
export function abortError(peer: string, method: string, signal: AbortSignal): SymphonyError {
  const reason = signal.reason instanceof Error ? signal.reason.message : signal.reason === undefined ? '' : String(signal.reason);
  return new SymphonyError('E_ABORTED', `${peer}/${method} was cancelled${reason ? `: ${reason}` : ''}`, {
    details: { extensionId: peer, method },
    ...(signal.reason === undefined ? {} : { cause: signal.reason }),
  });
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
