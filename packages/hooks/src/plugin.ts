// Types only: this package sits below the kernel (DESIGN.md layers), so the plugin is a plain
// object rather than a `definePlugin(...)` call, which would import the kernel at run time.
import type { Plugin } from '@symphony/kernel';
import { createHooks, type Hooks } from './hooks.js';
import { EVENT_TO_HOOK, type SymphonyHooks } from './lifecycle.js';

export type HooksService = Hooks<SymphonyHooks>;

declare module '@symphony/kernel' {
  interface Services {
    hooks: HooksService;
  }
}

const VERSION = '0.1.0';

/**
 * Offers the `hooks` service. Unless `pluginOptions.hooks.bridge` is `false`, kernel and run
 * events are forwarded to the matching hooks (`step:end` → `run:step:after`, ...) as parallel
 * calls; a failing embedder hook is logged, never thrown into the kernel.
 */
export const hooksPlugin: Plugin<HooksService> = {
  name: 'hooks',
  version: VERSION,
  setup(ctx) {
    const hooks = createHooks<SymphonyHooks>();
    if (ctx.options.bridge === false) return hooks;
    const offs: Array<() => void> = [];
    for (const [event, hookName] of Object.entries(EVENT_TO_HOOK)) {
      const forward = (payload: unknown) => {
        if (hooks.count(hookName) === 0) return;
        (hooks.callHookParallel as (name: string, payload: unknown) => Promise<void>)(hookName, payload).catch((err: unknown) =>
          ctx.logger.warn({ err, hook: hookName }, `an embedder's "${hookName}" hook failed`),
        );
      };
      // `kernel:stopped` fires after every plugin has stopped, so it stays subscribed (once).
      if (event === 'kernel:stopped') {
        ctx.events.once(event, forward);
      } else {
        ctx.events.on(event as 'run:start', forward);
        offs.push(() => ctx.events.off(event as 'run:start', forward));
      }
    }
    unsubscribers.set(hooks, offs);
    return hooks;
  },
  stop(hooks) {
    for (const off of unsubscribers.get(hooks) ?? []) off();
    unsubscribers.delete(hooks);
  },
};

const unsubscribers = new WeakMap<HooksService, Array<() => void>>();
