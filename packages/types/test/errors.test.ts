import { describe, expect, it } from 'vitest';
import { SymphonyError, hasErrorCode, isSymphonyError, toSymphonyError } from '../src/index.js';

describe('SymphonyError', () => {
  it('keeps code, details, cause and stack through JSON and structured clone', () => {
    const cause = new TypeError('bad byte');
    const err = new SymphonyError('E_ARTIFACT_CORRUPT', 'hash mismatch', { details: { name: 'a' }, cause });
    const cloned = structuredClone(JSON.parse(JSON.stringify(err)));
    const back = SymphonyError.fromJSON(cloned);
    expect(isSymphonyError(back)).toBe(true);
    expect(back.code).toBe('E_ARTIFACT_CORRUPT');
    expect(back.details).toEqual({ name: 'a' });
    expect(back.stack).toBe(err.stack);
    expect((back.cause as Error).name).toBe('TypeError');
    expect((back.cause as Error).message).toBe('bad byte');
  });

  it('nests SymphonyError causes', () => {
    const inner = new SymphonyError('E_TIMEOUT', 'slow');
    const outer = new SymphonyError('E_EXTENSION_CRASHED', 'died', { cause: inner });
    const back = SymphonyError.fromJSON(outer.toJSON());
    expect(hasErrorCode(back.cause, 'E_TIMEOUT')).toBe(true);
  });

  it('is recognised by brand, not by class identity', () => {
    const foreign = Object.assign(new Error('x'), { code: 'E_TIMEOUT' });
    expect(isSymphonyError(foreign)).toBe(false);
    expect(isSymphonyError(new SymphonyError('E_TIMEOUT', 'x'))).toBe(true);
  });

  it('wraps anything thrown', () => {
    const wrapped = toSymphonyError(new RangeError('nope'), 'E_INPUT_INVALID');
    expect(wrapped.code).toBe('E_INPUT_INVALID');
    expect((wrapped.cause as Error).message).toBe('nope');
    expect(toSymphonyError('plain').code).toBe('E_INTERNAL');
    const same = new SymphonyError('E_CYCLE', 'c');
    expect(toSymphonyError(same)).toBe(same);
  });
});
