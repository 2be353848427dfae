import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isSymphonyError } from '@symphony/types';
import { ENV_OVERRIDES, parseConfig, validateConfig, type SymphonyConfig } from '../src/index.js';

const RUNS = { numRuns: 1000 };
const baseDir = '/srv/symphony';

/** `fn` must return a config that re-validates to itself, or throw a coded SymphonyError. */
function parsesOrCodedError(fn: () => SymphonyConfig): void {
  let config: SymphonyConfig;
  try {
    config = fn();
  } catch (err) {
    if (!isSymphonyError(err)) throw new Error(`not a SymphonyError: ${String(err)}`, { cause: err });
    expect(err.code).toMatch(/^E_[A-Z_]+$/);
    // The validator's safety net (an unexpected exception turned into a coded error) must not be
    // what answered: that would be a TypeError inside validation, hidden.
    expect(err.message).not.toContain('could not be validated');
    return;
  }
  const { configFile, ...input } = config;
  expect(validateConfig(input, { baseDir, configFile })).toEqual(config);
}

const valid = {
  home: '.symphony',
  store: 'store',
  workspace: '.',
  plugins: ['@symphony/pit-dag'],
  pluginOptions: { 'pit.dag': { checkpoint: true } },
  extensions: { dirs: ['ext'] },
  conductor: { policy: 'heuristic', maxParallel: 2 },
  server: { host: '127.0.0.1', port: 7777 },
  logging: { level: 'info', pretty: false },
};

function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}
const allPaths = paths(valid).filter((p) => p.length > 0);

function mutate(doc: unknown, path: (string | number)[], remove: boolean, value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (!node || typeof node !== 'object') return copy;
    node = node[key] as Record<string | number, unknown>;
  }
  if (!node || typeof node !== 'object') return copy;
  if (remove) delete node[path.at(-1) as string];
  else node[path.at(-1) as string] = value;
  return copy;
}

const mutation = fc.record({
  path: fc.constantFrom(...allPaths),
  remove: fc.boolean(),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.constantFrom('onnx', 'debug', 0, 65536, -1, '__proto__')),
});

const envArb = fc.dictionary(
  fc.constantFrom(...ENV_OVERRIDES.map((o) => o.env)),
  fc.oneof(fc.string(), fc.constantFrom('8080', 'true', 'debug', 'onnx', '{"a":{}}', '[]', '-1', '1e3')),
);

// Generous limit: 1,000 cases per property on a loaded 2-core CI machine; no timing is asserted.
describe('config parser properties (fast-check)', { timeout: 60_000 }, () => {
  it('the valid fixture is valid', () => {
    expect(validateConfig(valid, { baseDir }).store).toBe('/srv/symphony/store');
  });

  it('any JSON value, with any SYMPHONY_* environment: a valid config or a coded error', () => {
    fc.assert(fc.property(fc.jsonValue(), envArb, (value, env) => parsesOrCodedError(() => validateConfig(value, { baseDir, env }))), RUNS);
  });

  it('any JS value (odd prototypes, sparse arrays, boxed values): a valid config or a coded error', () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true, withBoxedValues: true }), (value) =>
      parsesOrCodedError(() => validateConfig(value, { baseDir })),
    ), RUNS);
  });

  it('any string as JSON or YAML text: a valid config or a coded error', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.jsonValue().map((v) => toYaml(v)));
    fc.assert(fc.property(text, fc.constantFrom('json' as const, 'yaml' as const), (t, format) =>
      parsesOrCodedError(() => parseConfig(t, format, { baseDir })),
    ), RUNS);
  });

  it('mutations of a valid config, as objects and as JSON and YAML text', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), envArb, (steps, env) => {
      const doc = steps.reduce<unknown>((d, s) => mutate(d, s.path, s.remove, s.value), valid);
      parsesOrCodedError(() => validateConfig(doc, { baseDir, env }));
      parsesOrCodedError(() => parseConfig(JSON.stringify(doc), 'json', { baseDir }));
      parsesOrCodedError(() => parseConfig(toYaml(doc), 'yaml', { baseDir }));
    }), RUNS);
  });

  it('text edits of a valid YAML config: a valid config or a coded error', () => {
    const yaml = toYaml(valid);
    fc.assert(fc.property(fc.nat(yaml.length), fc.nat(8), fc.string({ maxLength: 8 }), (at, cut, insert) =>
      parsesOrCodedError(() => parseConfig(yaml.slice(0, at) + insert + yaml.slice(at + cut), 'yaml', { baseDir })),
    ), RUNS);
  });
});
