import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { closeLedger, ledgerPlugin, openLedger } from '@symphony/pit-artifacts';
import { arbitrationPlugin, type Decision } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('recorded decisions', () => {
  it('writes every decision, with its rule and share, to the shared ledger', async () => {
    const home = mkdtempSync(join(tmpdir(), 'pit-arb-'));
    dirs.push(home);
    const kernel = createKernel({
      plugins: [ledgerPlugin, arbitrationPlugin],
      config: {
        home,
        pluginOptions: {
          'pit.ledger': { noSync: true },
          'pit.arbitration': { sampleIntervalMs: 0, persistDecisions: true, resources: [{ id: 'cpu', capacity: 2 }] },
        },
      },
    });
    await kernel.start();
    const arbiter = kernel.service('pit.arbitration');
    const a = arbiter.tryRequest({ tenant: 'a', amounts: { cpu: 2 } })!;
    const waiting = arbiter.request({ tenant: 'b', id: 'b-step', amounts: { cpu: 1 } });
    arbiter.release(a);
    await waiting;
    await kernel.stop();

    const ledger = openLedger({ path: join(home, 'ledger') });
    const rows = [...(ledger.db('arbitration.decisions') as unknown as { getRange(): Iterable<{ value: Decision }> }).getRange()].map((e) => e.value);
    await closeLedger(ledger);
    expect(rows.map((d) => `${d.action}:${d.rule}:${d.tenant}`)).toEqual(['grant:free-capacity:a', 'queue:fcfs:b', 'grant:fcfs:b']);
    expect(rows[2]).toMatchObject({ requestId: 'b-step', share: 0.5 });
  });
});
