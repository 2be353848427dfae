import { SymphonyError } from '@symphony/types';
import type { ModelEntry, Slot } from './internals.js';
import type { PoolCore } from './pool.js';

export interface HealthResult {
  checked: number;
  /** Instances whose canary failed: drained and replaced. */
  unhealthy: { modelId: string; instanceId: number; error: string }[];
}

/**
 * Runs each idle warm instance's canary (a real inference) with a time limit. The instance is
 * taken out of the free list while it runs, so no lease shares it with the probe.
 */
export async function checkHealth(core: PoolCore, models: Iterable<ModelEntry<any>>): Promise<HealthResult> {
  const result: HealthResult = { checked: 0, unhealthy: [] };
  const probes: Promise<void>[] = [];
  for (const model of models) {
    if (!model.spec.canary) continue;
    for (const slot of model.slots) {
      if (slot.state !== 'warm' || slot.active !== 0 || slot.checking) continue;
      result.checked++;
      probes.push(probe(core, model, slot, result));
    }
  }
  await Promise.all(probes);
  return result;
}

async function probe(core: PoolCore, model: ModelEntry<any>, slot: Slot, result: HealthResult): Promise<void> {
  const modelId = model.spec.id;
  slot.checking = true;
  if (slot.inFree) {
    model.free.splice(model.free.indexOf(slot), 1);
    slot.inFree = false;
  }
  const timeoutMs = core.options.canaryTimeoutMs ?? 5_000;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let error: string | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new SymphonyError('E_TIMEOUT', `canary of model "${modelId}" took longer than ${timeoutMs} ms`, { details: { modelId, timeoutMs } });
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    const verdict = await Promise.race([Promise.resolve(model.spec.canary?.(slot.value, controller.signal)), timeout]);
    if (verdict === false) error = 'canary returned false';
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
    slot.checking = false;
  }
  if (slot.state === 'draining') {
    // Drained while probing (unregistered, closed): nobody else will unload it.
    void core.unloadSlot(slot, 'drained');
    return;
  }
  if (slot.state !== 'warm') return;
  if (error === undefined) {
    slot.inFree = true;
    model.free.push(slot);
    core.serveWaiters(model);
    return;
  }
  result.unhealthy.push({ modelId, instanceId: slot.id, error });
  core.logger.warn({ modelId, instanceId: slot.id, error }, 'pool: canary failed, draining the instance');
  core.drain(slot, 'unhealthy');
  core.startLoad(model, 'replace');
}
