import { SymphonyError } from '@symphony/types';
import type { ModelEntry, Slot } from './internals.js';
import { closedError, type PoolCore } from './pool.js';

/** Loads one instance with a time limit; a failure backs the model off and may fail its waiters. */
export async function loadSlot(core: PoolCore, model: ModelEntry<any>, slot: Slot): Promise<void> {
  const modelId = model.spec.id;
  const timeoutMs = model.spec.loadTimeoutMs ?? core.options.loadTimeoutMs ?? 60_000;
  const controller = new AbortController();
  const onClose = (): void => controller.abort(closedError(modelId));
  core.closing.signal.addEventListener('abort', onClose, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new SymphonyError('E_TIMEOUT', `loading an instance of model "${modelId}" took longer than ${timeoutMs} ms`, { details: { modelId, timeoutMs } });
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    if (core.options.admit) {
      await admit(core, model, slot, controller.signal, timeout);
      // Drained or closed while waiting its turn: nothing was started, nothing to stop.
      if (core.closed || slot.state !== 'loading') {
        model.loading--;
        return;
      }
    }
    const t0 = core.now();
    const value = await Promise.race([model.spec.load({ modelId, instanceId: slot.id, signal: controller.signal }), timeout]);
    model.loading--;
    slot.value = value;
    const took = core.now() - t0;
    model.loadMs = model.loadMs === undefined ? took : 0.7 * model.loadMs + 0.3 * took;
    core.stats.loads++;
    if (core.closed || slot.state !== 'loading') {
      await core.unloadValue(model, value);
      return;
    }
    model.failures = 0;
    model.status = 'ok';
    if (model.spec.watch) {
      try {
        model.spec.watch(value, (reason) => core.lost(slot, reason));
      } catch (err) {
        core.logger.error({ modelId, err }, 'pool: watch threw');
      }
    }
    slot.idleSince = core.now();
    slot.lastUse = slot.seenUse = ++core.useTick;
    core.setState(slot, 'warm');
    slot.inFree = true;
    model.free.push(slot);
    core.serveWaiters(model);
    core.ensureCapacity(model);
    if (model.spec.measure) void measureSlot(core, model, slot);
  } catch (cause) {
    model.loading--;
    loadFailed(core, model, slot, cause);
  } finally {
    clearTimeout(timer);
    core.closing.signal.removeEventListener('abort', onClose);
    core.planLoadEnded(slot);
  }
}

/**
 * Waits for the start's admission (`PoolOptions.admit`, e.g. `pit.arbitration`) within the load's
 * time limit. The admission is the slot's until it leaves the model; one that arrives after the
 * slot was dropped (drained, closed, timed out) is given back at once.
 */
async function admit(core: PoolCore, model: ModelEntry<any>, slot: Slot, signal: AbortSignal, timeout: Promise<never>): Promise<void> {
  const pending = core.options.admit!({ modelId: model.spec.id, instanceId: slot.id, memoryBytes: model.memory, reason: slot.reason, tenant: slot.tenant }, signal);
  const keep = (release: () => void): void => {
    if (model.slots.includes(slot) && slot.admitted === undefined) slot.admitted = release;
    else release();
  };
  if (typeof pending === 'function') return keep(pending);
  // A late admission (after the time limit or a close) still arrives here and is given back.
  const settled = Promise.resolve(pending).then(keep);
  settled.catch(() => undefined);
  await Promise.race([settled, timeout]);
  if (signal.aborted) throw signal.reason;
}

function loadFailed(core: PoolCore, model: ModelEntry<any>, slot: Slot, cause: unknown): void {
  const modelId = model.spec.id;
  core.stats.loadFailures++;
  core.dropSlot(slot);
  core.setState(slot, 'failed', cause instanceof Error ? cause.message : String(cause));
  model.failures++;
  const base = core.options.backoffBaseMs ?? 1_000;
  const backoff = Math.min(core.options.backoffMaxMs ?? 60_000, base * 2 ** (model.failures - 1));
  model.retryAt = core.now() + backoff;
  model.status = model.failures >= (core.options.maxLoadFailures ?? 3) ? 'failed' : 'backoff';
  core.logger.warn({ modelId, failures: model.failures, backoffMs: backoff, err: cause }, 'pool: model load failed');
  if (model.slots.length !== 0) return;
  // Nothing loaded can serve the queue: fail the waiters now rather than let them hang.
  const err = new SymphonyError('E_POOL_LOAD_FAILED', `loading model "${modelId}" failed (${model.failures} in a row); retry after ${backoff} ms`, {
    details: { modelId, failures: model.failures, backoffMs: backoff, status: model.status },
    cause,
  });
  for (const waiter of model.waiters.splice(0)) {
    waiter.cleanup();
    waiter.reject(err);
  }
  core.starved.delete(model);
}


/** Asks an instance what it uses and feeds it to the budget; a failed measurement is only logged. */
export async function measureSlot(core: PoolCore, model: ModelEntry<any>, slot: Slot): Promise<void> {
  try {
    const bytes = await model.spec.measure!(slot.value);
    if (bytes !== undefined && model.slots.includes(slot)) core.remeasure(model, bytes);
  } catch (err) {
    core.logger.warn({ modelId: model.spec.id, instanceId: slot.id, err }, 'pool: measuring an instance failed');
  }
}
