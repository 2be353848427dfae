import { SymphonyError } from '@symphony/types';
import type { Path } from './types.js';

/** Error codes raised by this package. */
export const VDOM_ERRORS = {
  E_VDOM_UNKNOWN_COMPONENT: 'a node names a component that is not in the registry',
  E_VDOM_PROPS_INVALID: "a node's props fail its component's schema",
  E_VDOM_CHILDREN_INVALID: 'a component that takes no children was given some',
  E_VDOM_DUPLICATE_KEY: 'two siblings share a key',
  E_VDOM_PATCH_TARGET: 'a patch targets a node that does not exist (strict mode only)',
  E_VDOM_HANDLER_STALE: 'an event names a handler that is not in the current tree',
  E_VDOM_VIEW_UNKNOWN: 'no view is open under that id',
  E_VDOM_REVISION: "an update's base revision is not the view's current revision",
  E_VDOM_DECODE: 'serialized patches or trees could not be decoded',
} as const;

export type VdomErrorCode = keyof typeof VDOM_ERRORS;

export function vdomError(code: VdomErrorCode, message: string, details: Record<string, unknown> = {}): SymphonyError {
  return new SymphonyError(code, message, { details });
}

/** `Stack > Card[1] > Button[0]`: a path a person can find in their render function. */
export function describePath(types: string[], path: Path): string {
  return types.map((type, depth) => (depth === 0 ? type : `${type}[${path[depth - 1]}]`)).join(' > ');
}
