export { createHooks, type Hooks, type HookFn, type HookMap, type HookName } from './hooks.js';
export { EVENT_TO_HOOK, type SymphonyHooks } from './lifecycle.js';
export { hooksPlugin, hooksPlugin as plugin, type HooksService } from './plugin.js';
