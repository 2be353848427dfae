import semver from 'semver';
import { z } from 'zod';
import { ExtensionIdSchema, MethodNameSchema } from '@symphony/types';
import { checkJsonSchema, type JsonSchema } from './json-schema.js';

/** The variables a permission path may start with; `expandPermissionPaths` fills them in. */
export const PATH_VARIABLES = ['workspace', 'extension', 'tmp'] as const;
export type PathVariable = (typeof PATH_VARIABLES)[number];

// Names that would collide with Object.prototype when used as record keys.
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const VersionSchema = z
  .string()
  .refine((v) => semver.valid(v) === v, { message: 'must be a semver version like "1.2.0"' });

const RangeSchema = z
  .string()
  .min(1, 'must be a semver range like "^1.0.0"')
  .max(256)
  .refine((r) => semver.validRange(r) !== null, { message: 'must be a semver range like "^1.0.0" or ">=0.3 <2"' });

const VARIABLE = /\$\{([^}]*)\}/g;
const ABSOLUTE = /^(\/|[A-Za-z]:[\\/])/;

/** `${workspace}/data/**`, `${extension}`, `${tmp}`, or an absolute path; no `..` segments. */
export const PathPatternSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .superRefine((path, ctx) => {
    if (path.includes('\0')) return ctx.addIssue({ code: 'custom', message: 'must not contain a NUL character' });
    for (const match of path.matchAll(VARIABLE)) {
      const name = match[1] as string;
      if (!(PATH_VARIABLES as readonly string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', message: `unknown variable \${${name}} (known: ${PATH_VARIABLES.map((v) => `\${${v}}`).join(', ')})` });
      } else if (match.index !== 0) {
        ctx.addIssue({ code: 'custom', message: `\${${name}} may only start a path` });
      }
    }
    if (!path.startsWith('${') && !ABSOLUTE.test(path)) {
      ctx.addIssue({ code: 'custom', message: 'must start with ${workspace}, ${extension}, ${tmp} or be an absolute path' });
    }
    if (path.split(/[\\/]/).includes('..')) ctx.addIssue({ code: 'custom', message: 'must not contain ".." segments' });
  });

const HOST = /^(\*|(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*(:(\*|[0-9]{1,5}))?|\[[0-9A-Fa-f:.]+\](:(\*|[0-9]{1,5}))?)$/;

/** `api.example.com`, `*.example.com:443`, `127.0.0.1:8080`, `[::1]`, or `*` for any host. */
export const HostPatternSchema = z
  .string()
  .regex(HOST, 'must be a host pattern like "api.example.com", "*.example.com:443", "[::1]" or "*"')
  .refine((h) => {
    const port = /:([0-9]+)$/.exec(h)?.[1];
    return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
  }, 'port must be 1-65535');

/** `HOME`, `AWS_*` (a trailing `*` matches a prefix). */
export const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'must be an environment variable name, optionally ending in *');

export const PermissionsSchema = z
  .strictObject({
    fs: z
      .strictObject({
        read: z.array(PathPatternSchema).max(256).default([]),
        write: z.array(PathPatternSchema).max(256).default([]),
      })
      .prefault({}),
    net: z.strictObject({ hosts: z.array(HostPatternSchema).max(256).default([]) }).prefault({}),
    /** May the extension spawn processes (Node's `--allow-child-process`). */
    child_process: z.boolean().default(false),
    env: z.array(EnvNameSchema).max(256).default([]),
  })
  .prefault({});
export type Permissions = z.output<typeof PermissionsSchema>;

const MethodKeySchema = MethodNameSchema.refine((name) => !RESERVED_KEYS.has(name), 'is a reserved name');

const JsonSchemaField = z.custom<JsonSchema>().superRefine(checkJsonSchema);

export const MethodContributionSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  /** JSON Schema of the method's input. */
  input: JsonSchemaField.optional(),
  /** JSON Schema of the method's output. */
  output: JsonSchemaField.optional(),
  /** Default call time limit for this method. */
  timeoutMs: z.number().int().positive().max(86_400_000).optional(),
});
export type MethodContribution = z.output<typeof MethodContributionSchema>;

export const CapabilityNameSchema = z.string().regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$/, 'must be a lowercase capability name like "classify" or "text.summarize"');

export const CapabilitySchema = z.preprocess(
  (value) => (typeof value === 'string' ? { name: value } : value),
  z.strictObject({
    name: CapabilityNameSchema,
    /** The method that provides it; defaults to the method of the same name. */
    method: MethodKeySchema.optional(),
    description: z.string().max(2000).optional(),
    /** Relative cost of one call, 0 (cheapest) to 1 (dearest): the Conductor weighs it when it picks a provider. */
    cost: z.number().min(0).max(1).optional(),
  }),
);
export type Capability = z.output<typeof CapabilitySchema>;

export const ComponentSchema = z.strictObject({
  name: z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'must be a PascalCase component name'),
  description: z.string().max(2000).optional(),
  /** JSON Schema of the component's props. */
  props: JsonSchemaField.optional(),
});
export type Component = z.output<typeof ComponentSchema>;

export const ContributesSchema = z
  .strictObject({
    methods: z.record(MethodKeySchema, MethodContributionSchema).default({}),
    capabilities: z.array(CapabilitySchema).max(256).default([]),
    components: z.array(ComponentSchema).max(256).default([]),
  })
  .prefault({});
export type Contributes = z.output<typeof ContributesSchema>;

const ACTIVATION = /^(onStartup|onMethod:(\*|[A-Za-z_][A-Za-z0-9_]*)|onCapability:(\*|[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*))$/;

/** `onStartup`, `onMethod:<name>` / `onMethod:*`, `onCapability:<name>` / `onCapability:*`. */
export const ActivationEventSchema = z
  .string()
  .regex(ACTIVATION, 'must be "onStartup", "onMethod:<method>|*" or "onCapability:<capability>|*"');
export type ActivationEvent = z.output<typeof ActivationEventSchema>;

export const EXTENSION_KINDS = ['instrument', 'operator', 'motif'] as const;
export type ExtensionKind = (typeof EXTENSION_KINDS)[number];

export const ExtensionManifestSchema = z.strictObject({
  /** For editors: the URL or path of this document's JSON Schema. */
  $schema: z.string().optional(),
  id: ExtensionIdSchema,
  /** Display name; defaults to the id. */
  name: z.string().min(1).max(200).optional(),
  version: VersionSchema,
  kind: z.enum(EXTENSION_KINDS),
  /** Entry module, relative to the extension's folder. */
  main: z
    .string()
    .min(1)
    .max(1024)
    .refine((m) => !ABSOLUTE.test(m) && !m.split(/[\\/]/).includes('..'), 'must be a relative path inside the extension (no "..")')
    .optional(),
  description: z.string().max(2000).optional(),
  author: z.string().max(200).optional(),
  license: z.string().max(100).optional(),
  homepage: z.string().max(2000).optional(),
  repository: z.string().max(2000).optional(),
  keywords: z.array(z.string().min(1).max(50)).max(20).optional(),
  engines: z.strictObject({ symphony: RangeSchema.default('*'), node: RangeSchema.optional() }).prefault({}),
  permissions: PermissionsSchema,
  contributes: ContributesSchema,
  /** Other extensions by id, with the version range each must satisfy. */
  dependencies: z
    .record(ExtensionIdSchema, RangeSchema)
    .default({}),
  /** When the host starts the extension; by default lazily, on the first call of any method. */
  activation: z.array(ActivationEventSchema).max(256).default(['onMethod:*']),
});

export type ExtensionManifest = z.output<typeof ExtensionManifestSchema>;
/** What an author writes: everything with a default may be left out. */
export type ExtensionManifestInput = z.input<typeof ExtensionManifestSchema>;

/** The JSON Schema of a manifest as written, for editors (`"$schema"`). Cross-field rules are not in it. */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ExtensionManifestSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
