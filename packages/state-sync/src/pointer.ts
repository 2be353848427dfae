import { stateError } from './errors.js';

/** RFC 6901: `/a/b~1c/0` -> ['a', 'b/c', '0']. The empty string is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw stateError('E_STATE_PATCH_INVALID', `JSON Pointer "${pointer}" must be empty or start with "/"`, { path: pointer });
  }
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
