import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeLedger, openLedger, type LedgerOptions, type LmdbLedger } from '../src/ledger.js';
import { ArtifactStore, type ArtifactStoreOptions } from '../src/store.js';

export function tempDir(prefix = 'pit-artifacts-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real LMDB ledger + store in a fresh temp directory. */
export function openTempStore(
  storeOptions: ArtifactStoreOptions = {},
  ledgerOptions: Partial<LedgerOptions> = {},
): { ledger: LmdbLedger; store: ArtifactStore; dir: string; close(): Promise<void> } {
  const { dir, cleanup } = tempDir();
  const ledger = openLedger({ path: join(dir, 'ledger'), ...ledgerOptions });
  const store = new ArtifactStore(ledger, storeOptions);
  return {
    ledger,
    store,
    dir,
    async close() {
      await closeLedger(ledger);
      cleanup();
    },
  };
}

export async function expectCode(promiseOrFn: Promise<unknown> | (() => unknown), code: string): Promise<Record<string, unknown>> {
  try {
    if (typeof promiseOrFn === 'function') await promiseOrFn();
    else await promiseOrFn;
  } catch (err) {
    const e = err as { code?: string; details?: Record<string, unknown> };
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code ?? ''}: ${(err as Error).message}`);
    return e.details ?? {};
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}
