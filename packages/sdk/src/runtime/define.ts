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

/**
 * Declares every method in the manifest with the JSON Schemas derived from its zod schemas. A
 * method the author declared keeps what they wrote (description, timeout) and gains the derived
 * schemas it lacks; a schema they wrote themselves stays, and `manifestDrift` compares the two.
 */
function withMethods(contributes: ManifestInput['contributes'], methods: Record<string, AnyMethod>): ManifestInput['contributes'] {
  const declared = { ...(contributes?.methods ?? {}) } as Record<string, Record<string, unknown>>;
  for (const [name, m] of Object.entries(methods)) {
    const entry: Record<string, unknown> = { ...(Object.prototype.hasOwnProperty.call(declared, name) ? declared[name] : {}) };
    if (typeof m !== 'function') {
      if (m.description && entry.description === undefined) entry.description = m.description;
      if (m.timeoutMs && entry.timeoutMs === undefined) entry.timeoutMs = m.timeoutMs;
      const input = jsonSchemaOf(m.input);
      const output = jsonSchemaOf(m.output);
      if (input && entry.input === undefined) entry.input = input;
      if (output && entry.output === undefined) entry.output = output;
    }
    declared[name] = entry;
  }
  return { ...(contributes ?? {}), methods: declared } as ManifestInput['contributes'];
}

/**
 * Where a manifest written by hand and the code disagree: a declared method the code does not
 * define, or a declared input/output JSON Schema whose properties or required fields differ from
 * the zod schema's. One line each; empty when they agree. `symphony-sdk pack` and `test` refuse
 * a package with any (`E_MANIFEST_MISMATCH`).
 */
export function manifestDrift(declared: ManifestInput | ExtensionManifest, definition: ExtensionDefinition): string[] {
  const out: string[] = [];
  const written = (declared.contributes?.methods ?? {}) as Record<string, Record<string, unknown>>;
  for (const name of Object.keys(written)) {
    if (!Object.prototype.hasOwnProperty.call(definition.methods, name)) {
      out.push(`the manifest declares method "${name}", which the code does not define (it defines ${Object.keys(definition.methods).join(', ') || 'none'})`);
      continue;
    }
    const m = definition.methods[name];
    if (typeof m === 'function' || m === undefined) continue;
    for (const part of ['input', 'output'] as const) {
      const hand = written[name]?.[part];
      const derived = jsonSchemaOf(m[part]);
      if (hand === undefined || derived === undefined) continue;
      const diff = schemaDifference(hand, derived);
      if (diff) out.push(`method "${name}": the ${part} schema in the manifest ${diff}`);
    }
  }
  return out;
}

function schemaDifference(hand: unknown, derived: Record<string, unknown>): string | undefined {
  const shape = (s: unknown) => {
    const o = (s ?? {}) as { type?: unknown; properties?: Record<string, unknown>; required?: unknown };
    return {
      type: JSON.stringify(o.type ?? null),
      properties: Object.keys(o.properties ?? {}).sort().join(', '),
      required: (Array.isArray(o.required) ? [...(o.required as string[])] : []).sort().join(', '),
    };
  };
  const a = shape(hand);
  const b = shape(derived);
  if (a.type !== b.type) return `has type ${a.type} where the code's zod schema has ${b.type}`;
  if (a.properties !== b.properties) return `has properties {${a.properties}} where the code's zod schema has {${b.properties}}`;
  if (a.required !== b.required) return `requires {${a.required}} where the code's zod schema requires {${b.required}}`;
  // Each property's own type, where both name one (`{ text: number }` by hand against z.string()
  // passed); "number" by hand accepts an integer in the code.
  const handProps = ((hand ?? {}) as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  const codeProps = (derived as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  for (const key of Object.keys(codeProps).sort()) {
    const h = handProps[key]?.type;
    const d = codeProps[key]?.type;
    if (typeof h !== 'string' || typeof d !== 'string' || h === d || (h === 'number' && d === 'integer')) continue;
    return `has property "${key}" of type ${JSON.stringify(h)} where the code's zod schema has ${JSON.stringify(d)}`;
  }
  return undefined;
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
