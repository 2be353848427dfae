import { join } from 'node:path';
import { CHAT_MANIFEST, CLASSIFY_RISK, RISK_LINEAR_MANIFEST, RISK_MLP_MANIFEST } from './manifests.js';
import { PACKAGE_DIR } from './package-dir.js';

/** A folder of extension folders: give it to the stage (`dirs: [BUILTIN_INSTRUMENTS_DIR]`). */
export const BUILTIN_INSTRUMENTS_DIR: string = join(PACKAGE_DIR, 'dist', 'extensions');

export interface BuiltinInstrument {
  id: string;
  /** The extension's folder (manifest + module). */
  dir: string;
  methods: string[];
  capabilities: string[];
}

/** The bundled instruments, their folders, and what a workflow can `uses:`. */
export const BUILTIN_INSTRUMENTS: readonly BuiltinInstrument[] = [
  { id: RISK_LINEAR_MANIFEST.id, dir: join(BUILTIN_INSTRUMENTS_DIR, 'risk-linear'), methods: ['classify'], capabilities: [CLASSIFY_RISK] },
  { id: RISK_MLP_MANIFEST.id, dir: join(BUILTIN_INSTRUMENTS_DIR, 'risk-mlp'), methods: ['classify'], capabilities: [CLASSIFY_RISK] },
  { id: CHAT_MANIFEST.id, dir: join(BUILTIN_INSTRUMENTS_DIR, 'chat'), methods: ['complete'], capabilities: ['text.chat'] },
];
