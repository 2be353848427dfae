import { SymphonyError, isSymphonyError } from '@symphony/types';
import type { SymphonyHooks as SymphonyHooksMap } from './lifecycle.js';

/** Any hook signature: hooks may be sync or async; their results are ignored. */
export type HookFn = (...args: any[]) => void | Promise<void>;

/** A map of hook names to signatures. */
export type HookMap = { [name: string]: HookFn };

/** The names of `H` whose values are hook signatures (so an interface can be used as a map). */
export type HookName<H> = { [K in keyof H]: H[K] extends HookFn ? K : never }[keyof H] & string;

type Args<H, K extends keyof H> = H[K] extends (...args: infer A) => any ? A : never;

export interface Hooks<H> {
  /** Adds `fn` to `name`; returns its own unhook. The same function twice is called twice. */
  hook<K extends HookName<H>>(name: K, fn: H[K]): () => void;
  /** Like `hook`, but `fn` is removed before its first call. */
  hookOnce<K extends HookName<H>>(name: K, fn: H[K]): () => void;
  /** Removes one registration of `fn` from `name` (no-op if absent). */
  unhook<K extends HookName<H>>(name: K, fn: H[K]): void;
  /** Registers several hooks at once; the returned function removes all of them. */
  addHooks(hooks: { [K in HookName<H>]?: H[K] | H[K][] }): () => void;
  /**
   * Calls the hooks of `name` one after another, in registration order, awaiting each.
   * The first that throws stops the chain: `E_HOOK_FAILED` naming the hook.
   */
  callHook<K extends HookName<H>>(name: K, ...args: Args<H, K>): Promise<void>;
  /**
   * Calls every hook of `name` at once and waits for all of them. If any throws, the rest still
   * finish, then `E_HOOK_FAILED` lists every failure.
   */
  callHookParallel<K extends HookName<H>>(name: K, ...args: Args<H, K>): Promise<void>;
  /** How many functions are registered for `name` (or in total). */
  count(name?: HookName<H>): number;
  removeAllHooks(name?: HookName<H>): void;
}

/** Creates a typed hook registry. Calls snapshot the list, so hooking during a call is safe. */
export function createHooks<H = SymphonyHooksMap>(): Hooks<H> {
  const registry = new Map<string, HookFn[]>();

  function hook(name: string, fn: HookFn): () => void {
    if (typeof fn !== 'function') {
      throw new SymphonyError('E_INPUT_INVALID', `hook "${name}" must be a function, got ${fn === null ? 'null' : typeof fn}`, {
        details: { hook: name },
      });
    }
    // Copy on write: a call in progress keeps iterating its own snapshot.
    registry.set(name, [...(registry.get(name) ?? []), fn]);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      unhook(name, fn);
    };
  }

  function unhook(name: string, fn: HookFn): void {
    const list = registry.get(name);
    if (!list) return;
    const index = list.indexOf(fn);
    if (index === -1) return;
    const next = list.slice(0, index).concat(list.slice(index + 1));
    if (next.length === 0) registry.delete(name);
    else registry.set(name, next);
  }

  function hookOnce(name: string, fn: HookFn): () => void {
    const once: HookFn = (...args) => {
      remove();
      return fn(...args);
    };
    const remove = hook(name, once);
    return remove;
  }

  async function callHook(name: string, ...args: unknown[]): Promise<void> {
    const list = registry.get(name);
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      try {
        await (list[i] as HookFn)(...args);
      } catch (cause) {
        throw hookError(name, [{ index: i, cause }]);
      }
    }
  }

  async function callHookParallel(name: string, ...args: unknown[]): Promise<void> {
    const list = registry.get(name);
    if (!list) return;
    const results = await Promise.allSettled(list.map(async (fn) => fn(...args)));
    const failures: Failure[] = [];
    results.forEach((result, index) => {
      if (result.status === 'rejected') failures.push({ index, cause: result.reason });
    });
    if (failures.length > 0) throw hookError(name, failures);
  }

  const hooks: Hooks<HookMap> = {
    hook,
    hookOnce,
    unhook,
    addHooks(map) {
      const removers: Array<() => void> = [];
      for (const [name, value] of Object.entries(map)) {
        if (value === undefined) continue;
        for (const fn of Array.isArray(value) ? value : [value]) removers.push(hook(name, fn as HookFn));
      }
      return () => removers.forEach((remove) => remove());
    },
    callHook,
    callHookParallel,
    count(name) {
      if (name !== undefined) return registry.get(name)?.length ?? 0;
      let total = 0;
      for (const list of registry.values()) total += list.length;
      return total;
    },
    removeAllHooks(name) {
      if (name === undefined) registry.clear();
      else registry.delete(name);
    },
  };
  return hooks as unknown as Hooks<H>;
}

interface Failure {
  index: number;
  cause: unknown;
}

function hookError(name: string, failures: Failure[]): SymphonyError {
  const describe = (f: Failure) => `#${f.index}: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}`;
  const first = failures[0] as Failure;
  const message =
    failures.length === 1
      ? `hook "${name}" ${describe(first)}`
      : `${failures.length} functions of hook "${name}" failed: ${failures.map(describe).join('; ')}`;
  return new SymphonyError('E_HOOK_FAILED', message, {
    details: {
      hook: name,
      failures: failures.map((f) => ({
        index: f.index,
        ...(isSymphonyError(f.cause) ? { code: f.cause.code } : {}),
        message: f.cause instanceof Error ? f.cause.message : String(f.cause),
      })),
    },
    cause: failures.length === 1 ? first.cause : new AggregateError(failures.map((f) => f.cause), `hook "${name}" failures`),
  });
}
