import { describe, expect, it } from 'vitest';
import { satisfies } from '../src/index.js';

describe('satisfies', () => {
  const cases: [string, string, boolean][] = [
    ['1.2.3', '^1.2.0', true],
    ['1.9.0', '^1.2.0', true],
    ['2.0.0', '^1.2.0', false],
    ['0.2.5', '^0.2.1', true],
    ['0.3.0', '^0.2.1', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['1.5.0', '1.x', true],
    ['2.0.0', '1.x', false],
    ['3.1.4', '*', true],
    ['1.0.0', '>=1.0.0 <2.0.0', true],
    ['2.0.0', '>=1.0.0 <2.0.0', false],
    ['2.5.0', '^1.0.0 || ^2.0.0', true],
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '1.2.3', false],
    ['1.2.4', '1.2', true],
    ['2.0.0-beta.1', '^2.0.0', false],
    ['2.0.0-beta.2', '>=2.0.0-beta.1', true],
    ['1.0.0', '> 0.9', true],
    ['1.0.0', '<= 1', true],
    ['2.0.0', '<= 1', false],
  ];
  it.each(cases)('%s in %s is %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('throws on nonsense rather than matching', () => {
    expect(() => satisfies('1.0.0', 'banana')).toThrow(/not a semver range/);
    expect(() => satisfies('one', '^1')).toThrow(/not a semver version/);
  });
});
