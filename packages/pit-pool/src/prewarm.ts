import type { ModelEntry, Slot } from './internals.js';
import type { PoolCore } from './pool.js';

/**
 * One forecast step: feeds this interval's arrivals and peak concurrency into each model's Holt
 * forecasters, sets how many instances the next interval wants (forecast, `expect()` hints,
 * `minInstances`), loads up to that, and unloads instances idle past their keep-alive.
 */
export function tick(core: PoolCore): void {
  const now = core.now();
  const prewarm = core.options.prewarm;
  for (const model of core.models.values()) {
    const floor = model.spec.minInstances ?? 0;
    if (prewarm === false) {
      model.desired = floor;
    } else {
      model.arrivalForecast.update(model.arrivals);
      model.peakForecast.update(model.peak);
      // Round the forecast peak to whole leases first: a decaying 0.01 must not keep an instance.
      let desired = Math.ceil(Math.round(model.peakForecast.forecast(1)) / model.concurrency);
      if (model.arrivalForecast.forecast(1) >= (prewarm?.minArrivals ?? 0.5)) desired = Math.max(desired, 1);
      if (model.hintUntil >= now) desired = Math.max(desired, model.hintCount);
      else model.hintCount = 0;
      model.desired = Math.min(model.maxInstances, Math.max(desired, floor));
    }
    model.arrivals = 0;
    model.peak = model.leases;
  }
  sweepIdle(core, now);
  for (const model of core.models.values()) warmUp(core, model, 'prewarm');
  core.predictNext();
}

/** Known future demand (the critical path of a running workflow): load before it is asked for. */
export function expect(core: PoolCore, model: ModelEntry<any>, count: number, inMs: number): void {
  if (core.options.prewarm === false) return;
  const now = core.now();
  const grace = (core.options.prewarm?.hintGraceMs ?? 10_000);
  model.hintCount = model.hintUntil >= now ? Math.max(model.hintCount, count) : count;
  model.hintUntil = Math.max(model.hintUntil, now + inMs + grace);
  model.desired = Math.min(model.maxInstances, Math.max(model.desired, model.hintCount));
  // A known need outranks a forecast: idle instances of models nobody announced may go (LRU first).
  const unannounced = (slot: Slot): boolean => slot.model !== model && !(slot.model.hintUntil >= now && slot.model.slots.length <= slot.model.hintCount);
  while (model.slots.length < model.desired) {
    if (!core.startLoad(model, 'expected', unannounced)) break;
  }
}

/** Loads up to `desired`, evicting only instances of models that hold more than they want. */
export function warmUp(core: PoolCore, model: ModelEntry<any>, reason: string): void {
  const surplus = (slot: Slot): boolean => slot.model !== model && slot.model.slots.length > slot.model.desired;
  while (model.slots.length < model.desired) {
    if (!core.startLoad(model, reason, surplus)) break;
  }
}

/** Keep-alive without clock reads on the hot path: an idle slot's idle time starts at the first sweep that sees no new use. */
export function sweepIdle(core: PoolCore, now: number): void {
  for (const model of core.models.values()) {
    const keepAlive = model.spec.keepAliveMs ?? 300_000;
    if (model.spec.pinned || keepAlive < 0) continue;
    for (const slot of [...model.slots]) {
      if (slot.state !== 'warm' || slot.active !== 0 || slot.checking) continue;
      if (slot.lastUse !== slot.seenUse) {
        slot.seenUse = slot.lastUse;
        slot.idleSince = now;
      } else if (now - slot.idleSince >= keepAlive && model.slots.length > Math.max(model.spec.minInstances ?? 0, model.desired)) {
        void core.unloadSlot(slot, 'idle');
      }
    }
  }
}
