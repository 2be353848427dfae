import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EXPLORE_DEFAULTS } from '@symphony/conductor';
import { createSymphony } from '@symphony/runtime';

const here = fileURLToPath(new URL('.', import.meta.url));
const extensions = join(here, '..', 'extensions');
const fixture = (name: string) => (JSON.parse(readFileSync(join(here, 'fixtures', `${name}.json`), 'utf8')) as { records: unknown[] }).records;
const homes: string[] = [];
afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

const RUNS = 12;
const CHURN = 'hotspots.rank-churn/rank';
const WEIGHTED = 'hotspots.rank-weighted/rank';

/** RUNS runs of the ranking step on one repository's records, in one home (its own history). */
async function choices(records: unknown[], policy: 'bundled' | 'heuristic'): Promise<{ chosen: string[]; explored: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'hotspots-conv-'));
  homes.push(dir);
  const workspace = join(dir, 'repo');
  mkdirSync(workspace);
  const symphony = await createSymphony({
    home: join(dir, 'home'),
    workspace,
    extensions: [extensions],
    builtins: false,
    noSync: true,
    policy,
    logLevel: 'silent',
    // "heuristic" is the old behaviour: the cheapest provider, ties to the first listed.
    pluginOptions: { conductor: { fallback: 'cheapest' } },
  });
  const chosen: string[] = [];
  let explored = 0;
  try {
    // Start both workers first: a cold start (a second or more on a loaded machine) in the first
    // observed latency would otherwise drown the quality and cost difference this test is about.
    const stage = symphony.kernel.service<{ call(uses: string, input: unknown): Promise<unknown> }>('stage');
    for (const uses of [CHURN, WEIGHTED]) await stage.call(uses, { records: [], top: 1 });
    const workflow = { name: 'rank', steps: [{ id: 'ranking', uses: 'capability:hotspots.rank', with: { records, top: 5 } }] };
    for (let i = 0; i < RUNS; i++) {
      const result = await symphony.run(workflow);
      expect(result.status).toBe('succeeded');
      const runId = (result as { runId: string }).runId;
      const [decision] = symphony.conductor.explain(runId);
      chosen.push(decision!.chosen!);
      if (decision!.reason?.explored) explored++;
      // explain gives the reason: every candidate's estimate and uncertainty, and one sentence.
      expect(decision!.reason!.candidates.map((c) => c.id)).toEqual(expect.arrayContaining([CHURN, WEIGHTED]));
      expect(decision!.reason!.why).toMatch(decision!.reason!.explored ? /^explored / : /^(policy's choice|the policy scored)/);
    }
  } finally {
    await symphony.close();
  }
  return { chosen, explored };
}

describe('hotspots: the Conductor learns which ranking to use on each repository', () => {
  it('converges to rank-weighted where rank-churn ranks generated files, and to the cheaper rank-churn where both rank the same', async () => {
    const generated = await choices(fixture('generated-files'), 'bundled');
    const handWritten = await choices(fixture('hand-written'), 'bundled');
    // Exploration tried both on each repository, and stayed bounded (per candidate, while it has few observations).
    for (const run of [generated, handWritten]) {
      expect(new Set(run.chosen)).toEqual(new Set([CHURN, WEIGHTED]));
      expect(run.explored).toBeGreaterThan(0);
      expect(run.explored).toBeLessThanOrEqual(2 * EXPLORE_DEFAULTS.maxObservations);
    }
    if (process.env.HOTSPOTS_VERBOSE) console.log({ generated, handWritten });
    expect(generated.chosen.slice(-5)).toEqual(Array(5).fill(WEIGHTED));
    expect(handWritten.chosen.slice(-5)).toEqual(Array(5).fill(CHURN));
  });

  it('"cheapest, ties to the first listed" keeps the misranking provider on the repository with generated files', async () => {
    const generated = await choices(fixture('generated-files'), 'heuristic');
    expect(generated.chosen.slice(-5)).toEqual(Array(5).fill(CHURN));
  });
});
