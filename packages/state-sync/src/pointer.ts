import { stateError } from './errors.js';

// RFC 6901: `~` only as `~0` or `~1`. A token with any other `~` (`/~2`, `/a~`) is not a pointer.
const BAD_ESCAPE = /~(?![01])/;

/**
 * RFC 6901: `/a/b~1c/0` -> ['a', 'b/c', '0']. The empty string is the whole document. A pointer
 * that does not start with `/` or escapes `~` other than as `~0`/`~1` is refused
 * (`E_STATE_PATCH_INVALID`).
 */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (typeof pointer !== 'string' || !pointer.startsWith('/')) {
    throw stateError('E_STATE_PATCH_INVALID', `JSON Pointer ${JSON.stringify(pointer)} must be empty or start with "/"`, { path: pointer });
  }
  if (BAD_ESCAPE.test(pointer)) {
    throw stateError('E_STATE_PATCH_INVALID', `JSON Pointer ${JSON.stringify(pointer)} has a "~" not followed by 0 or 1 (RFC 6901)`, { path: pointer });
  }
  if (pointer.indexOf('~') < 0) return pointer.slice(1).split('/');
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** True when one pointer is a prefix of the other (a change at either affects the other). */
export function pointersOverlap(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
