import { z } from 'zod';

/**
 * The allowlist: every component the front end can render, with a zod schema for its props.
 * Schemas are strict, so a misspelt prop is an error at the extension's side, not a silent no-op.
 * Event props (`onClick`, `onChange`, ...) hold handler refs once a tree is rendered.
 */
export const HandlerRefSchema = z.object({ $handler: z.string().min(1) }).strict();

const handler = HandlerRefSchema.optional();
const option = z.object({ value: z.string(), label: z.string() }).strict();
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const tone = z.enum(['default', 'secondary', 'success', 'warning', 'destructive', 'outline']);

export const componentSchemas = {
  Stack: z.object({
    direction: z.enum(['row', 'column']).optional(),
    gap: z.number().int().min(0).max(16).optional(),
    align: z.enum(['start', 'center', 'end', 'stretch']).optional(),
    wrap: z.boolean().optional(),
  }).strict(),
  Grid: z.object({ columns: z.number().int().min(1).max(12), gap: z.number().int().min(0).max(16).optional() }).strict(),
  Card: z.object({ title: z.string().optional(), description: z.string().optional() }).strict(),
  Heading: z.object({ level: z.number().int().min(1).max(4).optional() }).strict(),
  Text: z.object({ tone: z.enum(['default', 'muted', 'success', 'warning', 'destructive']).optional(), mono: z.boolean().optional() }).strict(),
  Button: z.object({
    variant: z.enum(['default', 'secondary', 'outline', 'ghost', 'destructive', 'link']).optional(),
    size: z.enum(['sm', 'md', 'lg']).optional(),
    type: z.enum(['button', 'submit']).optional(),
    disabled: z.boolean().optional(),
    onClick: handler,
  }).strict(),
  Form: z.object({ onSubmit: handler }).strict(),
  Input: z.object({
    name: z.string().min(1),
    label: z.string().optional(),
    value: z.string().optional(),
    placeholder: z.string().optional(),
    type: z.enum(['text', 'number', 'email', 'password', 'search']).optional(),
    disabled: z.boolean().optional(),
    onChange: handler,
  }).strict(),
  Textarea: z.object({
    name: z.string().min(1),
    label: z.string().optional(),
    value: z.string().optional(),
    placeholder: z.string().optional(),
    rows: z.number().int().min(1).max(40).optional(),
    onChange: handler,
  }).strict(),
  Select: z.object({
    name: z.string().min(1),
    label: z.string().optional(),
    value: z.string().optional(),
    options: z.array(option),
    onChange: handler,
  }).strict(),
  Checkbox: z.object({ name: z.string().min(1), label: z.string().optional(), checked: z.boolean().optional(), onChange: handler }).strict(),
  Switch: z.object({ name: z.string().min(1), label: z.string().optional(), checked: z.boolean().optional(), onChange: handler }).strict(),
  Tabs: z.object({ value: z.string().optional(), onChange: handler }).strict(),
  Tab: z.object({ value: z.string().min(1), label: z.string() }).strict(),
  Table: z.object({
    columns: z.array(z.object({ key: z.string(), label: z.string() }).strict()),
    rows: z.array(z.record(z.string(), scalar)),
    onRowClick: handler,
  }).strict(),
  Badge: z.object({ tone: tone.optional() }).strict(),
  Alert: z.object({ tone: z.enum(['default', 'destructive', 'success', 'warning']).optional(), title: z.string().optional() }).strict(),
  Progress: z.object({ value: z.number().min(0).max(100), label: z.string().optional() }).strict(),
  Dialog: z.object({ open: z.boolean(), title: z.string(), description: z.string().optional(), onOpenChange: handler }).strict(),
  Tooltip: z.object({ content: z.string() }).strict(),
  Separator: z.object({ orientation: z.enum(['horizontal', 'vertical']).optional() }).strict(),
  CodeBlock: z.object({ code: z.string(), language: z.string().optional() }).strict(),
  Graph: z.object({
    nodes: z.array(z.object({
      id: z.string().min(1),
      label: z.string(),
      status: z.enum(['pending', 'ready', 'running', 'succeeded', 'failed', 'skipped', 'retrying']).optional(),
      detail: z.string().optional(),
    }).strict()),
    edges: z.array(z.object({ from: z.string(), to: z.string() }).strict()),
    selected: z.string().optional(),
    onNodeClick: handler,
  }).strict(),
  Chart: z.object({
    kind: z.enum(['bar', 'line']),
    title: z.string().optional(),
    data: z.array(z.object({ label: z.string(), value: z.number() }).strict()),
  }).strict(),
} as const;

export type ComponentName = keyof typeof componentSchemas;

/** Components that take no children (their content is in their props). */
export const leafComponents: ReadonlySet<string> = new Set<ComponentName>([
  'Input', 'Textarea', 'Select', 'Checkbox', 'Switch', 'Table', 'Progress', 'Separator', 'CodeBlock', 'Graph', 'Chart',
]);

export type ComponentProps<N extends ComponentName> = z.input<(typeof componentSchemas)[N]>;
