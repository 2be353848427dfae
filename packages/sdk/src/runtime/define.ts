import { z } from 'zod';
import { validateManifest, type ExtensionKind, type ExtensionManifest, type ExtensionManifestInput } from '@symphony/manifest';
import { SymphonyError, parseWith } from '@symphony/types';
import type { ExtensionContext } from './context.js';

/** A method with zod schemas: its input and output types come from them, checked at the boundary. */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input?: I;
  readonly output?: O;
  readonly description?: string;
  readonly timeoutMs?: number;
  readonly handler: (input: z.output<I>, ctx: ExtensionContext) => z.input<O> | Promise<z.input<O>>;
}

/** A plain function method: no validation, types as written. */
export type MethodFunction = (input: any, ctx: ExtensionContext) => unknown;

export type AnyMethod = MethodSpec<any, any> | MethodFunction;

/** Pairs schemas with a handler so TypeScript infers the handler's input and output types. */
export function method<I extends z.ZodType, O extends z.ZodType = z.ZodUnknown>(
  schemas: { input: I; output?: O; description?: string; timeoutMs?: number },
  handler: (input: z.output<I>, ctx: ExtensionContext) => z.input<O> | Promise<z.input<O>>,
): MethodSpec<I, O> {
  return { ...schemas, handler } as MethodSpec<I, O>;
}

/** The manifest an author writes in code; `kind` comes from the define function. */
export type ManifestInput = Omit<ExtensionManifestInput, 'kind'>;

const EXTENSION = Symbol.for('symphony.extension');

export interface ExtensionDefinition<M extends Record<string, AnyMethod> = Record<string, AnyMethod>> {
  readonly manifest: ExtensionManifest;
  readonly methods: M;
  /** Validates the input, runs the handler, validates the output. */
  dispatch(method: string, input: unknown, ctx: ExtensionContext): Promise<unknown>;
}

/** Input type of a method of a definition: what a typed client sends. */
export type MethodInput<M> = M extends MethodSpec<infer I, any> ? z.input<I> : M extends (input: infer In, ...rest: any[]) => unknown ? In : never;
/** Output type of a method of a definition: what a typed client receives. */
export type MethodOutput<M> = M extends MethodSpec<any, infer O> ? z.output<O> : M extends (...args: any[]) => infer Out ? Awaited<Out> : never;

export function defineOperator<M extends Record<string, AnyMethod>>(definition: { manifest: ManifestInput; methods: M }): ExtensionDefinition<M> {
  return define('operator', definition);
}

export function defineInstrument<M extends Record<string, AnyMethod>>(definition: { manifest: ManifestInput; methods: M }): ExtensionDefinition<M> {
  return define('instrument', definition);
}

export function defineMotif<M extends Record<string, AnyMethod>>(definition: { manifest: ManifestInput; methods: M }): ExtensionDefinition<M> {
  return define('motif', definition);
}

/** True for a definition made by any copy of this package (ESM or CJS, any version). */
export function isExtensionDefinition(value: unknown): value is ExtensionDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[EXTENSION] === true;
}

function define<M extends Record<string, AnyMethod>>(kind: ExtensionKind, definition: { manifest: ManifestInput; methods: M }): ExtensionDefinition<M> {
  const { methods } = definition;
  for (const [name, m] of Object.entries(methods)) {
    if (typeof m !== 'function' && typeof m?.handler !== 'function') {
      throw new SymphonyError('E_INPUT_INVALID', `method "${name}" of ${String(definition.manifest.id)} must be a function or { input, output, handler }`, {
        details: { id: definition.manifest.id, method: name },
      });
    }
  }
  const manifest = validateManifest({ ...definition.manifest, kind, contributes: withMethods(definition.manifest.contributes, methods) });
  const id = manifest.id;

  async function dispatch(name: string, input: unknown, ctx: ExtensionContext): Promise<unknown> {
    const m = Object.prototype.hasOwnProperty.call(methods, name) ? methods[name] : undefined;
    if (m === undefined) {
      throw new SymphonyError('E_METHOD_UNKNOWN', `${id} has no method "${name}"`, { details: { extensionId: id, method: name, methods: Object.keys(methods) } });
    }
    if (typeof m === 'function') return m(input, ctx);
    // Checked before the handler runs: a bad input never reaches author code.
    const value = m.input ? parseWith(m.input, input, 'E_INPUT_INVALID', `input of ${id}/${name}`) : input;
    const result = await m.handler(value, ctx);
    return m.output ? parseWith(m.output, result, 'E_OUTPUT_INVALID', `output of ${id}/${name}`) : result;
  }

  const result = { manifest, methods, dispatch };
  Object.defineProperty(result, EXTENSION, { value: true });
  return result;
}

/** Declares every method in the manifest (with JSON Schemas from zod) unless the author did. */
function withMethods(contributes: ManifestInput['contributes'], methods: Record<string, AnyMethod>): ManifestInput['contributes'] {
  const declared = { ...(contributes?.methods ?? {}) } as Record<string, Record<string, unknown>>;
  for (const [name, m] of Object.entries(methods)) {
    if (declared[name]) continue;
    const entry: Record<string, unknown> = {};
    if (typeof m !== 'function') {
      if (m.description) entry.description = m.description;
      if (m.timeoutMs) entry.timeoutMs = m.timeoutMs;
      const input = jsonSchemaOf(m.input);
      const output = jsonSchemaOf(m.output);
      if (input) entry.input = input;
      if (output) entry.output = output;
    }
    declared[name] = entry;
  }
  return { ...(contributes ?? {}), methods: declared } as ManifestInput['contributes'];
}

function jsonSchemaOf(schema: z.ZodType | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  try {
    const { $schema: _drop, ...json } = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
    return json;
  } catch {
    return undefined; // a schema JSON Schema cannot express (a transform): validated in code only
  }
}
