import { SymphonyError, type SymphonyErrorJSON } from '@symphony/types';

/** A failure sent by the peer, rebuilt with its code and remote stack, naming who and what failed. */
export function remoteError(json: SymphonyErrorJSON, peer: string, method: string): SymphonyError {
  const error = SymphonyError.fromJSON(json);
  error.details.extensionId ??= peer;
  error.details.method ??= method;
  return error;
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
