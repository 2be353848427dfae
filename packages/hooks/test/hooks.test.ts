import { describe, expect, expectTypeOf, it } from 'vitest';
import { hasErrorCode, isSymphonyError, type SymphonyError } from '@symphony/types';
import { createHooks } from '../src/index.js';

interface TestHooks {
  'a:b': (n: number) => void | Promise<void>;
  other: (s: string, flag: boolean) => void;
}

async function rejection(promise: Promise<unknown>): Promise<SymphonyError> {
  try {
    await promise;
  } catch (err) {
    expect(isSymphonyError(err)).toBe(true);
    return err as SymphonyError;
  }
  throw new Error('expected a rejection');
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createHooks', () => {
  it('calls hooks serially, in registration order, awaiting each', async () => {
    const hooks = createHooks<TestHooks>();
    const log: string[] = [];
    hooks.hook('a:b', async (n) => {
      await tick();
      log.push(`first ${n}`);
    });
    hooks.hook('a:b', (n) => void log.push(`second ${n}`));
    await hooks.callHook('a:b', 7);
    expect(log).toEqual(['first 7', 'second 7']);
  });

  it('calls hooks in parallel: all start before any finishes', async () => {
    const hooks = createHooks<TestHooks>();
    const log: string[] = [];
    for (const name of ['x', 'y']) {
      hooks.hook('a:b', async () => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
      });
    }
    await hooks.callHookParallel('a:b', 1);
    expect(log).toEqual(['start x', 'start y', 'end x', 'end y']);
  });

  it('unhooks through the returned function, through unhook(), and removes once-hooks after one call', async () => {
    const hooks = createHooks<TestHooks>();
    const seen: number[] = [];
    const a = (n: number) => void seen.push(n);
    const b = (n: number) => void seen.push(n * 10);
    const removeA = hooks.hook('a:b', a);
    hooks.hook('a:b', b);
    hooks.hookOnce('a:b', (n) => void seen.push(n * 100));
    await hooks.callHook('a:b', 1);
    removeA();
    removeA(); // idempotent: must not remove a second registration
    hooks.unhook('a:b', b);
    await hooks.callHook('a:b', 2);
    expect(seen).toEqual([1, 10, 100]);
    expect(hooks.count('a:b')).toBe(0);
  });

  it('addHooks registers a map and removes all of it at once', async () => {
    const hooks = createHooks<TestHooks>();
    const seen: string[] = [];
    const remove = hooks.addHooks({ 'a:b': [(n) => void seen.push(`n${n}`)], other: (s, f) => void seen.push(`${s}${f}`) });
    expect(hooks.count()).toBe(2);
    await hooks.callHook('other', 's', true);
    remove();
    await hooks.callHook('a:b', 1);
    expect(seen).toEqual(['strue']);
    expect(hooks.count()).toBe(0);
  });

  it('a hook added or removed during a call affects only later calls', async () => {
    const hooks = createHooks<TestHooks>();
    const seen: string[] = [];
    const late = () => void seen.push('late');
    hooks.hook('a:b', () => {
      seen.push('first');
      hooks.hook('a:b', late);
      hooks.unhook('a:b', second);
    });
    const second = () => void seen.push('second');
    hooks.hook('a:b', second);
    await hooks.callHook('a:b', 0);
    await hooks.callHook('a:b', 0);
    expect(seen).toEqual(['first', 'second', 'first', 'late']);
  });

  it('a throwing serial hook stops the chain with E_HOOK_FAILED naming the hook', async () => {
    const hooks = createHooks<TestHooks>();
    let after = false;
    hooks.hook('a:b', () => {
      throw new Error('boom');
    });
    hooks.hook('a:b', () => void (after = true));
    const err = await rejection(hooks.callHook('a:b', 1));
    expect(err.code).toBe('E_HOOK_FAILED');
    expect(err.message).toContain('a:b');
    expect(err.details).toMatchObject({ hook: 'a:b', failures: [{ index: 0, message: 'boom' }] });
    expect(after).toBe(false);
  });

  it('parallel calls finish every hook, then report every failure', async () => {
    const hooks = createHooks<TestHooks>();
    let finished = 0;
    hooks.hook('a:b', async () => {
      throw new Error('one');
    });
    hooks.hook('a:b', async () => {
      await tick();
      finished++;
    });
    hooks.hook('a:b', () => {
      throw new Error('two');
    });
    const err = await rejection(hooks.callHookParallel('a:b', 1));
    expect(hasErrorCode(err, 'E_HOOK_FAILED')).toBe(true);
    expect(finished).toBe(1);
    expect(err.details.failures).toEqual([
      { index: 0, message: 'one' },
      { index: 2, message: 'two' },
    ]);
  });

  it('refuses a non-function with E_INPUT_INVALID and calls nothing for an unknown hook', async () => {
    const hooks = createHooks<TestHooks>();
    expect(() => hooks.hook('a:b', 42 as never)).toThrowError(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    await expect(hooks.callHook('other', 'x', false)).resolves.toBeUndefined();
  });

  it('is typed by the hook map', () => {
    const hooks = createHooks<TestHooks>();
    expectTypeOf(hooks.callHook).parameter(0).toEqualTypeOf<'a:b' | 'other'>();
    // @ts-expect-error wrong argument type
    void hooks.callHook('a:b', 'not a number');
    // @ts-expect-error unknown hook
    hooks.hook('nope', () => {});
    const defaults = createHooks();
    defaults.hook('run:step:after', (event) => {
      expectTypeOf(event.stepId).toEqualTypeOf<string>();
      expectTypeOf(event.durationMs).toEqualTypeOf<number>();
    });
  });
});
