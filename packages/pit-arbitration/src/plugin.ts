import { definePlugin, type Plugin } from '@symphony/kernel';
import { createArbiter, type ArbiterService } from './service.js';
import type { ArbiterOptions, Decision } from './types.js';

declare module '@symphony/kernel' {
  interface Services {
    'pit.arbitration': ArbiterService;
  }
}

declare module '@symphony/types' {
  interface SymphonyEvents {
    'arbitration:decision': [Decision];
  }
}

const timers = new WeakMap<ArbiterService, ReturnType<typeof setInterval>>();

/**
 * `pit.arbitration` as a kernel plugin. Options: `config.pluginOptions['pit.arbitration']`
 * (`ArbiterOptions` plus `sampleIntervalMs`, default 1 000, 0 = off). Every decision is re-emitted
 * on the kernel bus as `arbitration:decision` while someone listens there.
 */
export const arbitrationPlugin: Plugin<ArbiterService> = definePlugin<ArbiterService>({
  name: 'pit.arbitration',
  version: '0.1.0',
  setup(ctx) {
    const { sampleIntervalMs, ...options } = ctx.options as ArbiterOptions & { sampleIntervalMs?: number };
    const arbiter = createArbiter({ ...options, logger: ctx.logger, events: ctx.events as unknown as ArbiterOptions['events'] });
    const every = sampleIntervalMs ?? 1_000;
    if (every > 0) timers.set(arbiter, setInterval(() => arbiter.sample(), every).unref());
    return arbiter;
  },
  stop(arbiter) {
    clearInterval(timers.get(arbiter));
  },
  health(arbiter) {
    const m = arbiter.metrics();
    return { status: 'ok', pending: m.pending, jain: m.jain };
  },
});
