import { z } from 'zod';
import { method } from '@symphony/sdk';
import { globFiles, hashFile, listDirectory, measureFiles, readTextFile, statPath, writeFileAtomic } from '../file-ops.js';
import { FILES_MANIFEST } from '../manifests.js';
import { defineBuiltinOperator } from '../operator.js';

const Path = z.string().min(1).max(4096);

/** symphony.files: read, write, list, glob, stat, measure, hash. */
export default defineBuiltinOperator(FILES_MANIFEST, (env) => ({
  read: method(
    { input: z.strictObject({ path: Path, encoding: z.enum(['utf8', 'base64']).optional(), maxBytes: z.number().int().positive().optional() }), description: 'Read a file (up to maxBytes, 16 MiB by default).' },
    (input) => readTextFile(env().guard, input),
  ),
  write: method(
    { input: z.strictObject({ path: Path, content: z.string(), encoding: z.enum(['utf8', 'base64']).optional(), mkdirs: z.boolean().optional() }), description: 'Write a file atomically (temp file + rename).' },
    (input) => writeFileAtomic(env().guard, input),
  ),
  list: method(
    { input: z.strictObject({ path: Path.default('.'), recursive: z.boolean().optional(), limit: z.number().int().positive().optional() }), description: 'List a directory (symlinks listed, not followed).' },
    (input) => listDirectory(env().guard, input),
  ),
  glob: method(
    {
      input: z.strictObject({
        patterns: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        cwd: Path.optional(),
        ignore: z.array(z.string()).optional(),
        dot: z.boolean().optional(),
        limit: z.number().int().positive().optional(),
        directories: z.boolean().optional(),
      }),
      description: 'Files matching picomatch patterns below cwd (the workspace by default), relative to it.',
    },
    (input) => globFiles(env().guard, input),
  ),
  stat: method({ input: z.strictObject({ path: Path }), description: 'Type, size, mtime and mode of a path.' }, (input) => statPath(env().guard, input)),
  measure: method(
    {
      input: z.strictObject({ paths: z.array(Path).max(100_000).optional(), patterns: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(), cwd: Path.optional(), ignore: z.array(z.string()).optional(), limit: z.number().int().positive().optional() }),
      description: 'Bytes and line count of each file named in `paths` or matching `patterns` (streamed).',
    },
    (input, ctx) => measureFiles(env().guard, { ...input, signal: ctx.signal }),
  ),
  hash: method({ input: z.strictObject({ path: Path }), description: 'SHA-256 of a file of any size, streamed.' }, (input, ctx) => hashFile(env().guard, { ...input, signal: ctx.signal })),
}));
