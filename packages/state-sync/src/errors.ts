import { SymphonyError } from '@symphony/types';

/** Error codes raised by this package. */
export const STATE_ERRORS = {
  E_STATE_PATCH_INVALID: 'a JSON Patch operation is malformed or its path does not resolve',
  E_STATE_TEST_FAILED: "a JSON Patch `test` operation did not match the document (the patch's precondition)",
  E_STATE_CONFLICT: "an update was based on a revision that is not the server's current one",
  E_STATE_PERSISTENCE: 'the LMDB persistence could not be opened, read or written',
  E_STATE_PROTOCOL: 'a sync message was malformed',
  E_STATE_CLOSED: 'the store or client is closed',
} as const;

export type StateErrorCode = keyof typeof STATE_ERRORS;

export function stateError(code: StateErrorCode, message: string, details: Record<string, unknown> = {}): SymphonyError {
  return new SymphonyError(code, message, { details });
}
