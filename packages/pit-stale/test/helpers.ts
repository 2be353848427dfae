import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeLedger, openLedger, type LmdbLedger } from '@symphony/pit-artifacts';
import { hasErrorCode } from '@symphony/types';
import { afterEach, expect } from 'vitest';
import type { TraceInput } from '../src/index.js';

const dirs: string[] = [];
const ledgers: LmdbLedger[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pit-stale-'));
  dirs.push(dir);
  return dir;
}

/** A real LMDB environment (the shared ledger from @symphony/pit-artifacts) in a temp dir. */
export function ledgerAt(path = join(tempDir(), 'ledger')): LmdbLedger {
  const ledger = openLedger({ path, noSync: true });
  ledgers.push(ledger);
  return ledger;
}

export async function close(ledger: LmdbLedger): Promise<void> {
  ledgers.splice(ledgers.indexOf(ledger), 1);
  await closeLedger(ledger);
}

afterEach(async () => {
  for (const ledger of ledgers.splice(0)) await closeLedger(ledger);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export const DAY = 86_400_000;

/** A deterministic trace: features from `i`, reward varying by `i`. */
export function trace(i: number, extra: Partial<TraceInput> = {}): TraceInput {
  return {
    questType: `quest-${i % 3}`,
    state: [Math.sin(i), Math.cos(i * 1.7), (i % 7) / 7, (i % 11) / 11],
    action: `tool-${i % 5}`,
    outcome: { ok: i % 4 !== 0, steps: i % 9 },
    reward: (i % 10) / 10,
    runId: `run-${i}`,
    ...extra,
  };
}

export async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<Record<string, unknown>> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(hasErrorCode(err, code as `E_${string}`), `expected ${code}, got ${String(err)}`).toBe(true);
    return (err as { details: Record<string, unknown> }).details;
  }
  throw new Error(`expected a failure with ${code}, but it succeeded`);
}
