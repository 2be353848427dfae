import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { SymphonyError, isSymphonyError } from '@symphony/types';
import type { ExtensionManifest } from './schema.js';
import { validateManifest } from './validate.js';

export type ManifestFormat = 'json' | 'toml';

/** The file names `loadManifest` looks for in an extension's folder, in this order. */
export const MANIFEST_FILES = ['symphony.extension.json', 'symphony.extension.toml'] as const;

export interface LoadedManifest {
  manifest: ExtensionManifest;
  /** Absolute path of the manifest file. */
  file: string;
  /** The extension's folder: what `${extension}` expands to and `main` is relative to. */
  dir: string;
}

/**
 * Parses manifest text (JSON or TOML; guessed from the first character when `format` is left out)
 * and validates it. Syntax errors and validation errors alike are `E_MANIFEST_INVALID`.
 */
export function parseManifest(text: string, format?: ManifestFormat, source?: string): ExtensionManifest {
  if (typeof text !== 'string') {
    throw new SymphonyError('E_INPUT_INVALID', `parseManifest expects the manifest text as a string, got ${text === null ? 'null' : typeof text}`, {
      details: { got: text === null ? 'null' : typeof text },
    });
  }
  const chosen = format ?? (text.trimStart().startsWith('{') ? 'json' : 'toml');
  if (chosen !== 'json' && chosen !== 'toml') {
    throw new SymphonyError('E_INPUT_INVALID', `unknown manifest format "${String(chosen)}" (use "json" or "toml")`, { details: { format: chosen } });
  }
  return validateManifest(parseText(text, chosen, source), source);
}

function parseText(text: string, format: ManifestFormat, source: string | undefined): unknown {
  // A UTF-8 byte order mark is legal in a file but not in JSON.parse's input.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return format === 'json' ? JSON.parse(body) : parseToml(body);
  } catch (cause) {
    const where = locate(cause, body, format);
    const first = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0];
    const message = `${format.toUpperCase()} syntax error${where.line ? ` at line ${where.line}, column ${where.column}` : ''}: ${first}`;
    throw new SymphonyError('E_MANIFEST_INVALID', `extension manifest${source ? ` (${source})` : ''} is not valid ${format.toUpperCase()}: ${message}`, {
      details: { format, ...where, issues: [{ path: '(root)', message }], ...(source ? { file: source } : {}) },
      cause,
    });
  }
}

function locate(cause: unknown, text: string, format: ManifestFormat): { line?: number; column?: number } {
  if (format === 'toml' && cause instanceof TomlError) return { line: cause.line, column: cause.column };
  // V8 reports "... at position N" (and, on newer versions, line/column too).
  const position = /position (\d+)/.exec(cause instanceof Error ? cause.message : '')?.[1];
  if (position === undefined) return {};
  const before = text.slice(0, Number(position)).split('\n');
  return { line: before.length, column: (before.at(-1) as string).length + 1 };
}

/**
 * Reads and validates a manifest from a file, or from an extension folder holding one of
 * `MANIFEST_FILES`. A missing file is `E_MANIFEST_NOT_FOUND`.
 */
export async function loadManifest(path: string): Promise<LoadedManifest> {
  const target = resolve(path);
  const info = await stat(target).catch(() => undefined);
  let file: string | undefined;
  if (info?.isDirectory()) {
    for (const name of MANIFEST_FILES) {
      const candidate = join(target, name);
      if ((await stat(candidate).catch(() => undefined))?.isFile()) {
        file = candidate;
        break;
      }
    }
  } else if (info?.isFile()) {
    file = target;
  }
  if (file === undefined) {
    throw new SymphonyError(
      'E_MANIFEST_NOT_FOUND',
      info?.isDirectory()
        ? `no extension manifest in ${target} (expected one of ${MANIFEST_FILES.join(', ')})`
        : `extension manifest ${target} does not exist`,
      { details: { path: target } },
    );
  }
  const format: ManifestFormat | undefined = extname(file) === '.toml' ? 'toml' : extname(file) === '.json' ? 'json' : undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new SymphonyError('E_MANIFEST_NOT_FOUND', `cannot read extension manifest ${file}: ${(cause as Error).message}`, {
      details: { path: file },
      cause,
    });
  }
  try {
    return { manifest: parseManifest(text, format, file), file, dir: dirname(file) };
  } catch (err) {
    if (isSymphonyError(err)) throw err;
    throw new SymphonyError('E_MANIFEST_INVALID', `extension manifest ${basename(file)} could not be read: ${String(err)}`, {
      details: { path: file },
      cause: err,
    });
  }
}
