import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closeLedger, openLedger } from '../src/ledger.js';
import { ArtifactStore } from '../src/store.js';
import { tempDir } from './helpers.js';
import { payload } from './fixtures/payload.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const child = join(here, 'fixtures', 'put-batches.mjs');
const BATCH = 6;
const TRIALS = 20;

function runUntilKilled(path: string, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = fork(child, [path, String(BATCH)], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    proc.stderr?.on('data', (d) => (stderr += d));
    proc.on('message', () => setTimeout(() => proc.kill('SIGKILL'), delayMs));
    proc.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe.skipIf(!existsSync(join(here, '..', 'dist', 'index.js')))('durability: SIGKILL in the middle of batched writes', () => {
  const { dir, cleanup } = tempDir('pit-durability-');
  afterAll(cleanup);

  /** One lane: its own store, killed and reopened `trials` times. Two lanes run side by side. */
  async function lane(id: number, trials: number): Promise<void> {
    const path = join(dir, `ledger-${id}`);
    let lastProgress = -1;
    for (let trial = 0; trial < trials; trial++) {
      await runUntilKilled(path, Math.floor(Math.random() * 40));
      const ledger = openLedger({ path });
      const store = new ArtifactStore(ledger, { chunkSize: 512 });
      const progress = store.value('progress') as number;
      expect(progress).toBeGreaterThan(lastProgress); // each child committed at least its first batch
      lastProgress = progress;
      // Batches up to `progress` are complete and verify; later ones are entirely absent.
      for (let batch = 0; batch <= progress + 3; batch++) {
        for (let item = 0; item < BATCH; item++) {
          const artifact = store.get(`b${batch}/i${item}`); // verifies every chunk and the whole hash
          // Buffer.equals: vitest's deep equality is far too slow for thousands of byte arrays.
          if (batch <= progress) expect(artifact && Buffer.from(artifact.data).equals(payload(batch, item))).toBe(true);
          else expect(artifact).toBeUndefined();
        }
      }
      expect(store.versions('progress').map((v) => v.version)).toEqual(Array.from({ length: progress + 1 }, (_, i) => i + 1));
      await closeLedger(ledger);
    }
  }

  it(`leaves a store that opens cleanly with all or none of every batch (${TRIALS} kills)`, async () => {
    await Promise.all([lane(0, TRIALS / 2), lane(1, TRIALS / 2)]);
  }, 60_000);
});
