import fc from 'fast-check';
import { stringify as toToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { isSymphonyError } from '@symphony/types';
import { parseManifest, validateManifest, type ExtensionManifest } from '../src/index.js';

const RUNS = { numRuns: 1000 };

/** Runs `fn`; it must either return a manifest that re-validates to itself or throw a coded SymphonyError. */
function parsesOrCodedError(fn: () => ExtensionManifest): void {
  let result: ExtensionManifest;
  try {
    result = fn();
  } catch (err) {
    if (!isSymphonyError(err)) throw new Error(`not a SymphonyError: ${String(err)}`, { cause: err });
    expect(err.code).toMatch(/^E_[A-Z_]+$/);
    expect(Array.isArray(err.details.issues) && err.details.issues.length > 0).toBe(true);
    // The validator's safety net (an unexpected exception turned into a coded error) must not be
    // what answered: that would be a TypeError inside validation, hidden.
    expect(err.message).not.toContain('could not be validated');
    return;
  }
  expect(validateManifest(result)).toEqual(result);
}

const valid = {
  id: 'acme.csv',
  version: '1.2.0',
  kind: 'operator',
  main: 'dist/index.js',
  engines: { symphony: '^0.1.0' },
  permissions: { fs: { read: ['${workspace}/**'], write: ['${tmp}'] }, net: { hosts: ['api.acme.dev'] }, child_process: false, env: ['HOME'] },
  contributes: {
    methods: { parse: { input: { type: 'object', properties: { path: { type: 'string' } } }, output: { type: 'array' } } },
    capabilities: [{ name: 'table.parse', method: 'parse' }],
    components: [{ name: 'CsvTable' }],
  },
  dependencies: { 'acme.files': '^2.0.0' },
  activation: ['onMethod:parse'],
};

/** Paths to every value in a JSON tree, so mutations can target any of them. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}
const allPaths = paths(valid).filter((p) => p.length > 0);

function mutate(doc: unknown, path: (string | number)[], action: 'set' | 'delete', value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (action === 'delete') {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

const mutation = fc.record({
  path: fc.constantFrom(...allPaths),
  action: fc.constantFrom('set' as const, 'delete' as const),
  value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.constantFrom('${workspace}', '${nope}/x', '../x', '*', 'onStartup', '__proto__')),
});

// Generous limit: 1,000 cases per property on a loaded 2-core CI machine; no timing is asserted.
describe('manifest parser properties (fast-check)', { timeout: 60_000 }, () => {
  it('the valid fixture is valid', () => {
    expect(validateManifest(valid).id).toBe('acme.csv');
  });

  it('any JSON value: a valid manifest or a coded error', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => parsesOrCodedError(() => validateManifest(value))), RUNS);
  });

  it('any JS value (odd prototypes, -0, undefined, sparse arrays): a valid manifest or a coded error', () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true, withBoxedValues: true }), (value) =>
      parsesOrCodedError(() => validateManifest(value)),
    ), RUNS);
  });

  it('any string as JSON or TOML text: a valid manifest or a coded error', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)));
    fc.assert(fc.property(text, fc.constantFrom('json' as const, 'toml' as const, undefined), (t, format) =>
      parsesOrCodedError(() => parseManifest(t, format)),
    ), RUNS);
  });

  it('mutations of a valid manifest, as objects and as JSON and TOML text', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (steps) => {
      const doc = steps.reduce<unknown>((d, s) => {
        try {
          return mutate(d, s.path, s.action, s.value);
        } catch {
          return d; // the path no longer exists after an earlier mutation
        }
      }, valid);
      parsesOrCodedError(() => validateManifest(doc));
      parsesOrCodedError(() => parseManifest(JSON.stringify(doc), 'json'));
      let toml: string | undefined;
      try {
        toml = toToml(doc as Record<string, unknown>);
      } catch {
        // not representable in TOML (e.g. null): nothing to parse
      }
      if (toml !== undefined) parsesOrCodedError(() => parseManifest(toml, 'toml'));
    }), RUNS);
  });

  it('text edits of a valid TOML manifest: a valid manifest or a coded error', () => {
    const toml = toToml(valid);
    fc.assert(fc.property(fc.nat(toml.length), fc.nat(8), fc.string({ maxLength: 8 }), (at, cut, insert) =>
      parsesOrCodedError(() => parseManifest(toml.slice(0, at) + insert + toml.slice(at + cut), 'toml')),
    ), RUNS);
  });
});
