import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { z } from 'zod';
import { SymphonyError, isSymphonyError, validationError, type Issue } from '@symphony/types';
import { CONFIG_FILE_ENV, applyEnv } from './env.js';
import { defaultHome } from './home.js';
import { toIssues } from './issues.js';
import { SymphonyConfigSchema, type SymphonyConfig, type SymphonyConfigInput } from './schema.js';

export type ConfigFormat = 'json' | 'yaml';
export type Env = Record<string, string | undefined>;

/** Looked for in `cwd`, in this order; more than one is `E_CONFIG_AMBIGUOUS`. */
export const CONFIG_FILES = ['symphony.config.json', 'symphony.config.yaml', 'symphony.config.yml'] as const;

export interface LoadConfigOptions {
  /** Where to look for the config file; relative paths resolve here. Default `process.cwd()`. */
  cwd?: string;
  /** Source of `SYMPHONY_*` overrides. Default `process.env`. */
  env?: Env;
  /** An explicit config file (relative to `cwd`); it must exist. */
  file?: string;
  /** Applied last, above file and environment (e.g. command-line flags). */
  overrides?: SymphonyConfigInput;
}

export interface ValidateConfigOptions {
  /** What relative paths resolve against. Default `process.cwd()`. */
  baseDir?: string;
  /** `SYMPHONY_*` overrides to apply; none by default. */
  env?: Env;
  /** Where relative paths in `env` resolve; default `baseDir`. */
  cwd?: string;
  overrides?: SymphonyConfigInput;
  /** Recorded as `configFile` and named in error messages. */
  configFile?: string | null;
}

/**
 * Validates a config object (defaults < `input` < env < overrides) and resolves its paths.
 * Throws `E_CONFIG_INVALID` listing every problem with its path in `details.issues`.
 */
export function validateConfig(input: unknown, options: ValidateConfigOptions = {}): SymphonyConfig {
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const configFile = options.configFile ?? null;
  try {
    const { value, sources, issues } = applyEnv(input, options.env ?? {}, resolve(options.cwd ?? baseDir));
    const merged = options.overrides === undefined ? value : deepMerge(value, options.overrides);
    const result = SymphonyConfigSchema.safeParse(merged);
    const all: Issue[] = [...issues, ...(result.success ? [] : toIssues(result.error, sources))];
    const conductor = isObject(merged) && isObject(merged.conductor) ? merged.conductor : {};
    if (conductor.policy === 'onnx' && conductor.model === undefined) {
      all.push({ path: 'conductor.model', message: 'is required when conductor.policy is "onnx"' });
    }
    if (all.length > 0 || !result.success) {
      const err = validationError('E_CONFIG_INVALID', configFile ? `symphony config ${configFile}` : 'symphony config', all);
      if (configFile) err.details.file = configFile;
      throw err;
    }
    return resolvePaths(result.data, baseDir, configFile, options.env ?? {});
  } catch (err) {
    if (isSymphonyError(err)) throw err;
    // A hostile object (a throwing getter) or a validator bug: still a coded error, never a crash.
    const message = err instanceof Error ? err.message : String(err);
    throw new SymphonyError('E_CONFIG_INVALID', `symphony config could not be validated: ${message}`, {
      details: { issues: [{ path: '(root)', message }], ...(configFile ? { file: configFile } : {}) },
      cause: err,
    });
  }
}

/** Parses config text (JSON or YAML) and validates it. Syntax errors are `E_CONFIG_INVALID` too. */
export function parseConfig(text: string, format: ConfigFormat, options: ValidateConfigOptions = {}): SymphonyConfig {
  return validateConfig(parseText(text, format, options.configFile ?? null), options);
}

function parseText(text: string, format: ConfigFormat, file: string | null): unknown {
  if (typeof text !== 'string') {
    throw new SymphonyError('E_INPUT_INVALID', `config text must be a string, got ${text === null ? 'null' : typeof text}`);
  }
  if (format !== 'json' && format !== 'yaml') {
    throw new SymphonyError('E_INPUT_INVALID', `unknown config format "${String(format)}" (use "json" or "yaml")`, { details: { format } });
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // An empty file is a zero-config file, whatever its format.
  if (body.trim() === '') return {};
  try {
    return format === 'json' ? JSON.parse(body) : parseYamlStrict(body);
  } catch (cause) {
    const where = cause instanceof yaml().YAMLError && cause.linePos ? { line: cause.linePos[0].line, column: cause.linePos[0].col } : {};
    const first = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
    const message = `${format.toUpperCase()} syntax error: ${first}`;
    throw new SymphonyError('E_CONFIG_INVALID', `symphony config${file ? ` ${file}` : ''} is not valid ${format.toUpperCase()}: ${first}`, {
      details: { format, ...where, issues: [{ path: '(root)', message }], ...(file ? { file } : {}) },
      cause,
    });
  }
}

// `yaml` loads on the first YAML parse, not with the package: `defaultHome()` stays cheap for CLI start.
let yamlLib: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlLib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlLib;
}

// Warnings (an unresolved tag, an ambiguous alias) are almost always typos: refuse them too.
function parseYamlStrict(text: string): unknown {
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw problem;
  // A document of only comments is as empty as an empty file.
  return doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 });
}

/**
 * Which file `loadConfig` reads: `file`, else `$SYMPHONY_CONFIG`, else the one `symphony.config.*`
 * in `cwd`, else `null` (zero-config).
 */
export async function findConfigFile(options: Pick<LoadConfigOptions, 'cwd' | 'env' | 'file'> = {}): Promise<string | null> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const explicit = options.file ?? (options.env ?? process.env)[CONFIG_FILE_ENV];
  if (explicit !== undefined && explicit !== '') {
    const file = resolve(cwd, explicit);
    if (!(await isFile(file))) {
      throw new SymphonyError('E_CONFIG_NOT_FOUND', `config file ${file} does not exist`, {
        details: { path: file, ...(options.file === undefined ? { from: CONFIG_FILE_ENV } : {}) },
      });
    }
    return file;
  }
  const found: string[] = [];
  for (const name of CONFIG_FILES) if (await isFile(join(cwd, name))) found.push(join(cwd, name));
  if (found.length > 1) {
    throw new SymphonyError('E_CONFIG_AMBIGUOUS', `more than one config file in ${cwd}: ${found.join(', ')}; keep one or pass \`file\``, {
      details: { path: cwd, files: found },
    });
  }
  return found[0] ?? null;
}

/** Loads the config in force: defaults < file < `SYMPHONY_*` env < overrides. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<SymphonyConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const file = await findConfigFile({ ...options, cwd, env });
  let raw: unknown = {};
  if (file !== null) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new SymphonyError('E_CONFIG_NOT_FOUND', `cannot read config file ${file}: ${(cause as Error).message}`, { details: { path: file }, cause });
    }
    raw = parseText(text, formatOf(file), file);
  }
  return validateConfig(raw, { baseDir: file ? dirname(file) : cwd, cwd, env, overrides: options.overrides, configFile: file });
}

/** The JSON Schema of `symphony.config.json`, for editors (`"$schema"`). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(SymphonyConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

function formatOf(file: string): ConfigFormat {
  const ext = extname(file).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? 'yaml' : 'json';
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

type Parsed = z.output<typeof SymphonyConfigSchema>;

function resolvePaths(parsed: Parsed, baseDir: string, configFile: string | null, env: Env): SymphonyConfig {
  const { $schema: _schema, ...rest } = parsed;
  const home = parsed.home === undefined ? defaultHome({ env }) : resolve(baseDir, parsed.home);
  return {
    ...rest,
    home,
    store: parsed.store === undefined ? join(home, 'store') : resolve(baseDir, parsed.store),
    workspace: resolve(baseDir, parsed.workspace),
    extensions: { dirs: (parsed.extensions.dirs ?? [join(home, 'extensions')]).map((d) => resolve(baseDir, d)) },
    conductor: { ...parsed.conductor, ...(parsed.conductor.model === undefined ? {} : { model: resolve(baseDir, parsed.conductor.model) }) },
    logging: { ...parsed.logging, ...(parsed.logging.file === undefined ? {} : { file: resolve(baseDir, parsed.logging.file) }) },
    configFile,
  };
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(over)) {
    if (key === '__proto__') continue;
    out[key] = deepMerge(base[key], over[key]);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
