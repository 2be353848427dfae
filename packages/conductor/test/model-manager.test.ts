import { describe, expect, it } from 'vitest';
import { FEATURES, PolicyManager, createHeuristic, createRng, exportPolicyOnnx, generateQuest, playQuest, readBundledPolicy, type DecisionContext } from '../src/index.js';
import { createMlp } from '../src/mlp.js';
import { fileURLToPath } from 'node:url';

const models = fileURLToPath(new URL('../models/', import.meta.url));

async function someContexts(): Promise<DecisionContext[]> {
  const out: DecisionContext[] = [];
  const h = createHeuristic('round-robin');
  await playQuest(generateQuest(31), (b) => {
    out.push(...b);
    return h.decide(b);
  });
  return out;
}

describe('PolicyManager', () => {
  it('starts on the heuristic, swaps a model in with no decision dropped, and retires the old one', async () => {
    const manager = new PolicyManager(createHeuristic('ucb1'));
    expect(manager.status()).toMatchObject({ source: 'heuristic', version: 'heuristic:ucb1(c=0.5)' });
    const bundle = await readBundledPolicy(models);
    expect(await manager.load(bundle.bytes, bundle.metadata.version)).toMatchObject({ ok: true });
    const contexts = await someContexts();
    // Decisions in flight while a second model is swapped in: every one is answered.
    const pending = contexts.map((c) => manager.decide([c]));
    const other = exportPolicyOnnx(createMlp([FEATURES, 8, 1], createRng(2)), 'other');
    const swapped = manager.load(other, 'other');
    const more = contexts.map((c) => manager.decide([c]));
    const answers = await Promise.all([...pending, ...more]);
    expect(answers.every((a) => a.length === 1 && a[0]! >= 0)).toBe(true);
    expect(await swapped).toMatchObject({ ok: true });
    expect(manager.status()).toMatchObject({ source: 'onnx', version: 'other' });
    await manager.close();
  });

  it('keeps the policy in force when a model is refused, and says why', async () => {
    const manager = new PolicyManager(createHeuristic('cheapest'));
    const refused = await manager.load(new Uint8Array([8, 1, 2, 3]), 'broken-1');
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_POLICY_INVALID' } });
    expect(manager.status()).toMatchObject({ source: 'heuristic', version: 'heuristic:cheapest' });
    expect(manager.status().degraded).toMatch(/broken-1 was refused.*heuristic:cheapest stays in force/);
  });

  it('steps back to the previous policy when the one in force starts returning non-finite values', async () => {
    const manager = new PolicyManager(createHeuristic('round-robin'));
    const bundle = await readBundledPolicy(models);
    await manager.load(bundle.bytes, bundle.metadata.version);
    // Finite on the all-zero probe, but any non-zero cost feature overflows to Infinity - Infinity.
    const bad = createMlp([FEATURES, 2, 1], createRng(5));
    bad.layers[0]!.w.fill(0);
    bad.layers[0]!.w[10 * 2] = 3e38;
    bad.layers[0]!.w[10 * 2 + 1] = 3e38;
    bad.layers[1]!.w[0] = 3e38;
    bad.layers[1]!.w[1] = -3e38;
    expect(await manager.load(exportPolicyOnnx(bad, 'overflows'), 'overflows')).toMatchObject({ ok: true });
    const contexts = await someContexts();
    const actions = await manager.decide(contexts.slice(0, 3));
    expect(actions).toHaveLength(3);
    expect(manager.status()).toMatchObject({ source: 'onnx', version: bundle.metadata.version });
    expect(manager.status().degraded).toMatch(/overflows failed \(E_POLICY_OUTPUT/);
    await manager.close();
  });
});
