import { join } from 'node:path';
import { DATA_MANIFEST, FILES_MANIFEST, GIT_MANIFEST } from './manifests.js';
import { OPERATORS_DIR } from './operator.js';

/** A folder of extension folders: give it to the stage (`dirs: [BUILTIN_OPERATORS_DIR]`). */
export const BUILTIN_OPERATORS_DIR: string = join(OPERATORS_DIR, 'dist', 'extensions');

export interface BuiltinOperator {
  id: string;
  /** The extension's folder (manifest + module). */
  dir: string;
  methods: string[];
}

/** The built-in operators, their folders and the methods a workflow can `uses:`. */
export const BUILTIN_OPERATORS: readonly BuiltinOperator[] = [
  { id: FILES_MANIFEST.id, dir: join(BUILTIN_OPERATORS_DIR, 'files'), methods: ['read', 'write', 'list', 'glob', 'stat', 'measure', 'hash'] },
  { id: DATA_MANIFEST.id, dir: join(BUILTIN_OPERATORS_DIR, 'data'), methods: ['parse', 'write', 'transform', 'aggregate', 'join'] },
  { id: GIT_MANIFEST.id, dir: join(BUILTIN_OPERATORS_DIR, 'git'), methods: ['log', 'diff', 'status', 'blame', 'show', 'currentBranch'] },
];
