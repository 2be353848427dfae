import { hasErrorCode } from '@symphony/types';
import { expect } from 'vitest';

/** Lets promise continuations and immediates run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<Record<string, unknown>> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(hasErrorCode(err, code as `E_${string}`), `expected ${code}, got ${String(err)}`).toBe(true);
    return (err as { details: Record<string, unknown> }).details;
  }
  throw new Error(`expected a failure with ${code}, but it succeeded`);
}

/** A model whose instances are plain objects; counts loads and unloads. */
export function counted(id: string, extra: Record<string, unknown> = {}) {
  const log = { loads: 0, unloads: 0 };
  return {
    log,
    spec: {
      id,
      load: async ({ instanceId }: { instanceId: number }) => {
        log.loads++;
        return { id, instanceId };
      },
      unload: () => {
        log.unloads++;
      },
      ...extra,
    },
  };
}
