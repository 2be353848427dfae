import { describe, expect, it } from 'vitest';
import * as core from '../src/core.js';
import * as all from '../src/index.js';

describe('@symphony/types/core', () => {
  it('is the main entry without the schemas: the very same values, so errors and codes agree', () => {
    const values = Object.keys(core).sort();
    expect(values).toEqual(['ERROR_CODES', 'SymphonyError', 'formatPath', 'hasErrorCode', 'isSymphonyError', 'issuesFromZod', 'parseWith', 'silentLogger', 'toSymphonyError', 'validationError']);
    for (const name of values) expect((all as Record<string, unknown>)[name], name).toBe((core as Record<string, unknown>)[name]);
    expect(Object.keys(all).filter((name) => name.endsWith('Schema'))).not.toHaveLength(0);
    expect(Object.keys(core).filter((name) => name.endsWith('Schema'))).toEqual([]);
  });
});
