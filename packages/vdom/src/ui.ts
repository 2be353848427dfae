import type { ComponentName, ComponentProps } from './components.js';
import { h, type ChildInput, type SourceNode, type UiHandler } from './h.js';
import type { HandlerRef } from './types.js';

/** Component props as an extension writes them: event props take functions. */
export type BuilderProps<P> = {
  [K in keyof P]: NonNullable<P[K]> extends HandlerRef ? UiHandler | HandlerRef | undefined : P[K];
} & { key?: string | number };

type Builder<N extends ComponentName> = {} extends ComponentProps<N>
  ? (props?: BuilderProps<ComponentProps<N>> | null, ...children: ChildInput[]) => SourceNode
  : (props: BuilderProps<ComponentProps<N>>, ...children: ChildInput[]) => SourceNode;

type Builders = { [N in ComponentName as Uncapitalize<N>]: Builder<N> };

const names: ComponentName[] = [
  'Stack', 'Grid', 'Card', 'Heading', 'Text', 'Button', 'Form', 'Input', 'Textarea', 'Select', 'Checkbox', 'Switch',
  'Tabs', 'Tab', 'Table', 'Badge', 'Alert', 'Progress', 'Dialog', 'Tooltip', 'Separator', 'CodeBlock', 'Graph', 'Chart',
];

/** Typed builders, one per registered component: `ui.button({ variant: 'outline', onClick }, 'Run')`. */
export const ui: Builders = Object.fromEntries(
  names.map((name) => [name[0]!.toLowerCase() + name.slice(1), (props?: Record<string, unknown> | null, ...children: ChildInput[]) =>
    h(name, props as Parameters<typeof h>[1], ...children)]),
) as unknown as Builders;
