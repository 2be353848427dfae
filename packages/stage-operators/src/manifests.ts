import type { ManifestInput } from '@symphony/sdk';

type BuiltinManifest = ManifestInput & { id: string; version: string };

const common = { version: '0.1.0', engines: { symphony: '*' }, license: 'MIT', author: 'Symphony' } as const;

/** file_ops: read, write (atomic), list, glob, stat, hash, inside the workspace. */
export const FILES_MANIFEST: BuiltinManifest = {
  ...common,
  id: 'symphony.files',
  name: 'Files',
  description: 'Read, write (atomically), list, glob, stat and hash files inside the workspace.',
  main: 'index.js',
  permissions: { fs: { read: ['${workspace}'], write: ['${workspace}'] } },
  contributes: { capabilities: [{ name: 'files.glob', method: 'glob' }, { name: 'files.read', method: 'read' }, { name: 'files.stat', method: 'stat' }] },
};

/** data_ops: CSV / JSON / NDJSON in and out, and a declarative pipeline over records. */
export const DATA_MANIFEST: BuiltinManifest = {
  ...common,
  id: 'symphony.data',
  name: 'Data',
  description: 'Parse and write CSV, JSON and NDJSON; filter, map, select, group, aggregate, sort and join records with a declarative spec, streaming large files.',
  main: 'index.js',
  permissions: { fs: { read: ['${workspace}'], write: ['${workspace}'] } },
  contributes: { capabilities: [{ name: 'data.aggregate', method: 'aggregate' }, { name: 'data.transform', method: 'transform' }] },
};

/** git_ops: read-only git through the git CLI; the only built-in with a child_process grant. */
export const GIT_MANIFEST: BuiltinManifest = {
  ...common,
  id: 'symphony.git',
  name: 'Git',
  description: 'log, diff, status, blame, show and current branch of a git repository in the workspace, through the git CLI with argument injection refused.',
  main: 'index.js',
  permissions: { fs: { read: ['${workspace}'] }, child_process: true },
  contributes: { capabilities: [{ name: 'git.log', method: 'log' }, { name: 'git.blame', method: 'blame' }] },
};
