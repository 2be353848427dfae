import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSymphonyError, type Issue, type SymphonyError } from '@symphony/types';
import {
  checkEngine,
  expandPath,
  expandPermissionPaths,
  loadManifest,
  manifestJsonSchema,
  parseManifest,
  satisfiesEngine,
  validateManifest,
  type ExtensionManifest,
} from '../src/index.js';

const fixtures = join(import.meta.dirname, 'fixtures');

function failure(fn: () => unknown): SymphonyError {
  try {
    fn();
  } catch (err) {
    expect(isSymphonyError(err)).toBe(true);
    return err as SymphonyError;
  }
  throw new Error('expected a throw');
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

const minimal = { id: 'acme.csv', version: '1.2.0', kind: 'operator' };

describe('validateManifest', () => {
  it('fills the defaults of a minimal manifest', () => {
    const m = validateManifest(minimal);
    expect(m).toEqual({
      ...minimal,
      engines: { symphony: '*' },
      permissions: { fs: { read: [], write: [] }, net: { hosts: [] }, child_process: false, env: [] },
      contributes: { methods: {}, capabilities: [], components: [] },
      dependencies: {},
      activation: ['onMethod:*'],
    });
  });

  it('normalises capability shorthands and keeps JSON schemas as written', () => {
    const input = { type: 'object', properties: { path: { type: 'string' } }, 'x-extra': { anything: true } };
    const m = validateManifest({ ...minimal, contributes: { methods: { classify: { input } }, capabilities: ['classify'] } });
    expect(m.contributes.capabilities).toEqual([{ name: 'classify' }]);
    expect(m.contributes.methods.classify?.input).toBe(input);
  });

  it('reports every problem with its path, not just the first', () => {
    const err = failure(() =>
      validateManifest({
        id: 'acme.csv',
        version: '1.2',
        kind: 'widget',
        engines: { symphony: 'not a range' },
        permissions: {
          fs: { read: ['${workspace}/a', '/abs/ok', 'relative/path', '${home}/x'], write: ['${tmp}/../escape'] },
          net: { hosts: ['api.example.com', 'bad host'] },
          env: ['OK_*', '9LIVES'],
          child_proces: true,
        },
        contributes: { methods: { parse: { input: { type: 'text' } } }, capabilities: [{ name: 'table.parse', method: 'missing' }] },
        dependencies: { 'acme.csv': '^1.0.0', 'acme.files': 'latest-ish' },
        activation: ['onMethod:nope', 'sometimes'],
      }),
    );
    expect(err.code).toBe('E_MANIFEST_INVALID');
    expect(err.details.id).toBe('acme.csv');
    const paths = (err.details.issues as Issue[]).map((i) => i.path).sort();
    expect(paths).toEqual(
      [
        'version',
        'kind',
        'engines.symphony',
        'permissions.fs.read[2]',
        'permissions.fs.read[3]',
        'permissions.fs.write[0]',
        'permissions.net.hosts[1]',
        'permissions.env[1]',
        'permissions.child_proces',
        'contributes.methods.parse.input.type',
        'contributes.capabilities[0].method',
        'dependencies["acme.csv"]',
        'dependencies["acme.files"]',
        'activation[0]',
        'activation[1]',
      ].sort(),
    );
    expect(err.message).toContain('permissions.fs.read[2]: must start with ${workspace}');
    expect(err.message).toContain('permissions.fs.read[3]: unknown variable ${home}');
    expect(err.message).toContain('15 problems');
  });

  it('turns even a throwing getter into E_MANIFEST_INVALID', () => {
    const hostile = Object.defineProperty({ ...minimal }, 'kind', { enumerable: true, get: () => { throw new TypeError('gotcha'); } });
    const err = failure(() => validateManifest(hostile));
    expect(err.code).toBe('E_MANIFEST_INVALID');
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('rejects non-objects and reserved method names with E_MANIFEST_INVALID', () => {
    for (const bad of [null, 42, 'text', [], { ...minimal, contributes: { methods: { constructor: {} } } }]) {
      expect(failure(() => validateManifest(bad)).code).toBe('E_MANIFEST_INVALID');
    }
  });
});

describe('parseManifest', () => {
  it('parses JSON and TOML, guessing the format from the text', () => {
    const toml = parseManifest('id = "acme.csv"\nversion = "1.2.0"\nkind = "operator"\n[permissions.fs]\nread = ["${workspace}"]\n');
    const json = parseManifest(JSON.stringify({ ...minimal, permissions: { fs: { read: ['${workspace}'] } } }));
    expect(toml).toEqual(json);
    expect(toml.permissions.fs.read).toEqual(['${workspace}']);
  });

  it('reports a TOML syntax error with its line and column', () => {
    const err = failure(() => parseManifest('id = "acme.csv"\nversion = \n', 'toml'));
    expect(err.code).toBe('E_MANIFEST_INVALID');
    expect(err.details).toMatchObject({ format: 'toml', line: 2 });
  });

  it('reports a JSON syntax error and refuses a non-string', () => {
    expect(failure(() => parseManifest('{"id": ', 'json')).details.format).toBe('json');
    expect(failure(() => parseManifest(undefined as unknown as string)).code).toBe('E_INPUT_INVALID');
  });
});

describe('loadManifest', () => {
  it('loads from a folder (JSON or TOML) or a file', async () => {
    const csv = await loadManifest(join(fixtures, 'csv'));
    expect(csv.manifest.id).toBe('acme.csv');
    expect(csv.dir).toBe(join(fixtures, 'csv'));
    expect(csv.file).toBe(join(fixtures, 'csv', 'symphony.extension.json'));
    const theme = await loadManifest(join(fixtures, 'toml-ext', 'symphony.extension.toml'));
    expect(theme.manifest).toMatchObject({ kind: 'motif', version: '0.3.0-beta.1', contributes: { components: [{ name: 'CsvTable' }] } });
  });

  it('is E_MANIFEST_NOT_FOUND for a missing file or a folder without a manifest, and names the file when invalid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symphony-manifest-'));
    expect((await rejection(loadManifest(join(dir, 'nope.json')))).code).toBe('E_MANIFEST_NOT_FOUND');
    expect((await rejection(loadManifest(dir))).details.path).toBe(dir);
    await writeFile(join(dir, 'symphony.extension.json'), JSON.stringify({ ...minimal, kind: 'nope' }));
    const err = await rejection(loadManifest(dir));
    expect(err.code).toBe('E_MANIFEST_INVALID');
    expect(err.details.file).toBe(join(dir, 'symphony.extension.json'));
  });
});

describe('permission variables and engines', () => {
  const manifest: ExtensionManifest = validateManifest({
    ...minimal,
    engines: { symphony: '^0.1.0' },
    permissions: { fs: { read: ['${workspace}/**/*.csv', '${extension}'], write: ['${tmp}/out', '/var/data'] } },
  });

  it('expands ${workspace}, ${extension} and ${tmp} in fs paths', () => {
    const expanded = expandPermissionPaths(manifest.permissions, { workspace: '/w', extension: '/ext/acme.csv', tmp: '/tmp/s' });
    expect(expanded.fs).toEqual({ read: ['/w/**/*.csv', '/ext/acme.csv'], write: ['/tmp/s/out', '/var/data'] });
    expect(manifest.permissions.fs.read[0]).toBe('${workspace}/**/*.csv');
  });

  it('refuses a missing or relative variable value with E_INPUT_INVALID naming it', () => {
    expect(failure(() => expandPath('${workspace}/a', {})).details).toMatchObject({ variable: 'workspace' });
    expect(failure(() => expandPath('${tmp}', { tmp: 'relative' })).code).toBe('E_INPUT_INVALID');
  });

  it('checks engines.symphony against a version', () => {
    expect(satisfiesEngine(manifest, '0.1.5')).toBe(true);
    expect(satisfiesEngine(manifest, '0.2.0')).toBe(false);
    const err = failure(() => checkEngine(manifest, '1.0.0'));
    expect(err.code).toBe('E_MANIFEST_ENGINE');
    expect(err.details).toEqual({ id: 'acme.csv', range: '^0.1.0', version: '1.0.0' });
  });
});

describe('manifestJsonSchema', () => {
  it('describes the manifest fields for editors', () => {
    const schema = manifestJsonSchema() as { properties: Record<string, { enum?: string[] }>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['id', 'version', 'kind']));
    expect(schema.properties.kind?.enum).toEqual(['instrument', 'operator', 'motif']);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['permissions', 'contributes', 'dependencies', 'activation', 'engines']));
  });
});
