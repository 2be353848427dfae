import { hasErrorCode } from '@symphony/types';
import { expect } from 'vitest';

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
