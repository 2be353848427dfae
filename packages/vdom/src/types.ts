/**
 * The data that crosses the extension ↔ host ↔ front-end boundary. Everything here is plain JSON:
 * no functions, no class instances. Event handlers travel as `HandlerRef`s (ids), never functions.
 */

/** A reference to an event handler that lives in the extension that rendered the tree. */
export interface HandlerRef {
  $handler: string;
}

export type PropValue =
  | string
  | number
  | boolean
  | null
  | HandlerRef
  | PropValue[]
  | { [key: string]: PropValue };

export type Props = Record<string, PropValue>;

/** An element: a registered component with props and children. */
export interface VirtualNode {
  type: string;
  /** Identity among siblings: keyed children are matched by key, so reorders become moves. */
  key?: string | number;
  props: Props;
  children: VChild[];
}

/** A child is an element or a text node; a text node is a plain string. */
export type VChild = VirtualNode | string;

/** Index path from the root element: `[]` is the root, `[2, 0]` its third child's first child. */
export type Path = number[];

/**
 * One step of an update. Patches apply in order; each path is read against the tree as left by
 * the patches before it (so a parent's inserts/moves come before patches inside its children).
 */
export type Patch =
  | { op: 'insert'; path: Path; index: number; node: VChild }
  | { op: 'remove'; path: Path; index: number }
  | { op: 'move'; path: Path; from: number; to: number }
  | { op: 'replace'; path: Path; node: VChild }
  | { op: 'set'; path: Path; name: string; value: PropValue }
  | { op: 'unset'; path: Path; name: string }
  | { op: 'text'; path: Path; text: string };

/** A batch of patches that takes a view from revision `from` to revision `to`. */
export interface UiUpdate {
  from: number;
  to: number;
  patches: Patch[];
}

/** What the front end sends when the user acts: `click`, `change`, `submit`, `open-change`, ... */
export interface UiEvent {
  type: string;
  /** The new value for change events (input text, checkbox state, selected option). */
  value?: PropValue;
  /** Named field values for a form submit. */
  values?: Record<string, PropValue>;
}

export function isHandlerRef(value: unknown): value is HandlerRef {
  return typeof value === 'object' && value !== null && typeof (value as HandlerRef).$handler === 'string';
}

export function isElement(child: VChild | undefined): child is VirtualNode {
  return typeof child === 'object' && child !== null;
}
