import type { RunEvents, KernelLifecycleEvents } from '@symphony/types';

type Payload<E, K extends keyof E> = E[K] extends [infer P] ? P : never;

/**
 * The lifecycle hooks an embedder (a desktop or web shell) can attach to. Packages add their own
 * by declaration merging:
 *
 *   declare module '@symphony/hooks' { interface SymphonyHooks { 'ext:installed': (e: X) => void } }
 */
export interface SymphonyHooks {
  'kernel:started': (event: Payload<KernelLifecycleEvents, 'kernel:started'>) => void | Promise<void>;
  'kernel:stopped': (event: Payload<KernelLifecycleEvents, 'kernel:stopped'>) => void | Promise<void>;
  'run:start': (event: Payload<RunEvents, 'run:start'>) => void | Promise<void>;
  'run:step:before': (event: Payload<RunEvents, 'step:start'>) => void | Promise<void>;
  'run:step:progress': (event: Payload<RunEvents, 'step:progress'>) => void | Promise<void>;
  'run:step:retry': (event: Payload<RunEvents, 'step:retry'>) => void | Promise<void>;
  'run:step:after': (event: Payload<RunEvents, 'step:end'>) => void | Promise<void>;
  'run:step:error': (event: Payload<RunEvents, 'step:fail'>) => void | Promise<void>;
  'run:end': (event: Payload<RunEvents, 'run:end'>) => void | Promise<void>;
}

/** Which kernel event feeds which hook when the hooks plugin bridges the event bus. */
export const EVENT_TO_HOOK = {
  'kernel:started': 'kernel:started',
  'kernel:stopped': 'kernel:stopped',
  'run:start': 'run:start',
  'step:start': 'run:step:before',
  'step:progress': 'run:step:progress',
  'step:retry': 'run:step:retry',
  'step:end': 'run:step:after',
  'step:fail': 'run:step:error',
  'run:end': 'run:end',
} as const satisfies Partial<Record<keyof (RunEvents & KernelLifecycleEvents), keyof SymphonyHooks>>;
