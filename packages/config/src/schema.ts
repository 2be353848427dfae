import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const CONDUCTOR_POLICIES = ['heuristic', 'onnx', 'random'] as const;
export type ConductorPolicy = (typeof CONDUCTOR_POLICIES)[number];

// Names that would collide with Object.prototype when used as record keys.
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const PathSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(4096)
  .refine((p) => !p.includes('\0'), 'must not contain a NUL character');

// Kept as written (not copied key by key): a plugin's options are its own business.
const PluginOptionsSchema = z.custom<Record<string, unknown>>(isPlainObject, 'must be an object of options for that plugin');

/**
 * `symphony.config.json` / `.yaml` as written. Every field has a default, so an empty file (or no
 * file at all) is a working configuration with its store under `./.symphony/`.
 */
export const SymphonyConfigSchema = z.strictObject({
  /** For editors: the URL or path of this document's JSON Schema. */
  $schema: z.string().optional(),
  /**
   * Symphony's own folder: store, extensions, tokens, grants, logs. Relative paths are relative to
   * the config file. Default `defaultHome()`: the platform data directory, never the workspace.
   */
  home: PathSchema.optional(),
  /** The artifact store (LMDB); defaults to `<home>/store`. */
  store: PathSchema.optional(),
  /** The folder `${workspace}` stands for in extension permissions; defaults to the config's folder. */
  workspace: PathSchema.default('.'),
  /** Plugin packages the kernel imports by name, e.g. `@symphony/pit-dag`. */
  plugins: z.array(z.string().min(1).max(1024)).max(1024).default([]),
  /** Options handed to each plugin as `ctx.options`, by plugin name. */
  pluginOptions: z
    .record(z.string().min(1).refine((k) => !RESERVED_KEYS.has(k), 'is a reserved name'), PluginOptionsSchema)
    .default({}),
  extensions: z
    .strictObject({
      /** Folders scanned for installed Stage extensions; defaults to `[<home>/extensions]`. */
      dirs: z.array(PathSchema).max(256).optional(),
    })
    .prefault({}),
  conductor: z
    .strictObject({
      /** How the Conductor picks among providers of a capability. */
      policy: z.enum(CONDUCTOR_POLICIES).default('heuristic'),
      /** The ONNX policy model; required when `policy` is `onnx`. */
      model: PathSchema.optional(),
      /** Steps run at once within a run. */
      maxParallel: z.number().int().min(1).max(1024).default(4),
    })
    .prefault({}),
  server: z
    .strictObject({
      /** Loopback by default: exposing the server is a deliberate choice. */
      host: z.string().min(1).max(255).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(7777),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      /** Also write JSON lines to this file. */
      file: PathSchema.optional(),
      /** Force pretty output on or off; by default pretty on a TTY only. */
      pretty: z.boolean().optional(),
    })
    .prefault({}),
  /**
   * Scale-out over BullMQ on Redis (`@symphony/scale-out`): steps of extensions a `symphony worker`
   * serves are dispatched as signed jobs. The shared secret and the Redis password come from the
   * environment (`SYMPHONY_SCALE_OUT_SECRET`, `SYMPHONY_REDIS_PASSWORD`), never from this file.
   */
  scaleOut: z
    .strictObject({
      redis: z.string().min(1).max(4096).regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
      /** Redis ACL user. */
      username: z.string().min(1).max(256).optional(),
      tls: z.boolean().optional(),
      /** BullMQ key prefix (default `symphony`). */
      prefix: z.string().min(1).max(64).regex(/^[^:\s]+$/, 'must not contain ":" or spaces').optional(),
      /** Extension ids that always run on the coordinator. */
      local: z.array(z.string().min(1).max(214)).max(1024).optional(),
    })
    .optional(),
});

/** What a config file may contain: every field optional. */
export type SymphonyConfigInput = z.input<typeof SymphonyConfigSchema>;
type Parsed = z.output<typeof SymphonyConfigSchema>;

/**
 * The configuration in force: defaults filled, every path absolute. A type alias (not an
 * interface) so it can be handed to `createKernel({ config })` as is.
 */
export type SymphonyConfig = Omit<Parsed, 'store' | 'extensions' | '$schema'> & {
  store: string;
  extensions: { dirs: string[] };
  /** The file it came from, or `null` for a zero-config run. */
  configFile: string | null;
};
