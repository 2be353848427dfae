export { createHooks, type Hooks, type HookFn, type HookMap, type HookName } from './hooks.js';
export { EVENT_TO_HOOK, type SymphonyHooks } from './lifecycle.js';
export { hooksPlugin, hooksPlugin as plugin, type HooksService } from './plugin.js';
export {
  notify,
  openPath,
  revealPath,
  parseDeepLink,
  registerProtocolHandler,
  notifyRunEnds,
  findExecutable,
  humanDuration,
  type Notification,
  type DesktopResult,
  type DesktopEnv,
  type ProtocolHandlerOptions,
  type RunNotificationOptions,
} from './desktop.js';
