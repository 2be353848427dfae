import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSymphonyError, type Issue, type SymphonyError } from '@symphony/types';
import { configJsonSchema, defaultHome, findConfigFile, loadConfig, parseConfig, validateConfig } from '../src/index.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'symphony-config-'));

async function rejection(promise: Promise<unknown>): Promise<SymphonyError> {
  try {
    await promise;
  } catch (err) {
    expect(isSymphonyError(err)).toBe(true);
    return err as SymphonyError;
  }
  throw new Error('expected a rejection');
}

function failure(fn: () => unknown): SymphonyError {
  try {
    fn();
  } catch (err) {
    expect(isSymphonyError(err)).toBe(true);
    return err as SymphonyError;
  }
  throw new Error('expected a throw');
}

describe('loadConfig', () => {
  it('works with no file at all: the home in the platform data dir (never the workspace), loopback server', async () => {
    const cwd = await tempDir();
    const data = join(cwd, 'xdg-data');
    const config = await loadConfig({ cwd, env: { XDG_DATA_HOME: data } });
    expect(config).toEqual({
      home: join(data, 'symphony'),
      store: join(data, 'symphony', 'store'),
      workspace: cwd,
      plugins: [],
      pluginOptions: {},
      extensions: { dirs: [join(data, 'symphony', 'extensions')] },
      conductor: { policy: 'heuristic', maxParallel: 4 },
      server: { host: '127.0.0.1', port: 7777 },
      logging: { level: 'info' },
      configFile: null,
    });
  });

  it('reads JSON or YAML, resolving relative paths against the file', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'symphony.config.yaml'), 'home: data\nplugins: ["@symphony/pit-dag"]\npluginOptions:\n  pit.dag: { checkpoint: true }\nserver: { port: 9000 }\n');
    const config = await loadConfig({ cwd, env: {} });
    expect(config).toMatchObject({
      home: join(cwd, 'data'),
      store: join(cwd, 'data', 'store'),
      plugins: ['@symphony/pit-dag'],
      pluginOptions: { 'pit.dag': { checkpoint: true } },
      server: { host: '127.0.0.1', port: 9000 },
      configFile: join(cwd, 'symphony.config.yaml'),
    });
    const other = await tempDir();
    await writeFile(join(other, 'custom.json'), JSON.stringify({ store: '../elsewhere', logging: { level: 'debug', file: 'logs/s.log' } }));
    const explicit = await loadConfig({ cwd: other, env: {}, file: 'custom.json' });
    expect(explicit.store).toBe(join(other, '..', 'elsewhere'));
    expect(explicit.logging).toEqual({ level: 'debug', file: join(other, 'logs', 's.log') });
  });

  it('SYMPHONY_* environment beats the file, and overrides beat both', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'symphony.config.json'), JSON.stringify({ server: { host: '0.0.0.0', port: 1 }, logging: { level: 'warn' } }));
    const env = {
      SYMPHONY_SERVER_PORT: '8080',
      SYMPHONY_LOGGING_LEVEL: 'debug',
      SYMPHONY_HOME: 'state',
      SYMPHONY_PLUGINS: '@symphony/pit-dag, @symphony/pit-pool',
      SYMPHONY_PLUGIN_OPTIONS: '{"pit.pool":{"size":2}}',
      SYMPHONY_LOGGING_PRETTY: 'false',
      SYMPHONY_STORE: '', // empty means unset
    };
    const config = await loadConfig({ cwd, env, overrides: { server: { port: 9999 } } });
    expect(config.server).toEqual({ host: '0.0.0.0', port: 9999 });
    expect(config.logging).toEqual({ level: 'debug', pretty: false });
    expect(config.home).toBe(join(cwd, 'state'));
    expect(config.store).toBe(join(cwd, 'state', 'store'));
    expect(config.plugins).toEqual(['@symphony/pit-dag', '@symphony/pit-pool']);
    expect(config.pluginOptions).toEqual({ 'pit.pool': { size: 2 } });
  });

  it('finds the file named by SYMPHONY_CONFIG; a missing one is E_CONFIG_NOT_FOUND', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'prod.yml'), 'server:\n  port: 80\n');
    expect((await loadConfig({ cwd, env: { SYMPHONY_CONFIG: 'prod.yml' } })).server.port).toBe(80);
    const err = await rejection(loadConfig({ cwd, env: { SYMPHONY_CONFIG: 'missing.json' } }));
    expect(err.code).toBe('E_CONFIG_NOT_FOUND');
    expect(err.details).toEqual({ path: join(cwd, 'missing.json'), from: 'SYMPHONY_CONFIG' });
  });

  it('refuses two config files side by side with E_CONFIG_AMBIGUOUS', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'symphony.config.json'), '{}');
    await writeFile(join(cwd, 'symphony.config.yaml'), '');
    expect((await rejection(findConfigFile({ cwd, env: {} }))).code).toBe('E_CONFIG_AMBIGUOUS');
  });

  it('reports every problem with its path, naming the file and the env variable', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'symphony.config.json'), JSON.stringify({ sever: {}, server: { port: 70000 }, plugins: ['ok', 3], conductor: { policy: 'onnx' } }));
    const err = await rejection(loadConfig({ cwd, env: { SYMPHONY_LOGGING_LEVEL: 'loud', SYMPHONY_CONDUCTOR_MAX_PARALLEL: 'many' } }));
    expect(err.code).toBe('E_CONFIG_INVALID');
    expect(err.details.file).toBe(join(cwd, 'symphony.config.json'));
    const issues = err.details.issues as Issue[];
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['SYMPHONY_CONDUCTOR_MAX_PARALLEL (conductor.maxParallel)', 'conductor.model', 'sever', 'server.port', 'plugins[1]', 'logging.level'].sort(),
    );
    expect(issues.find((i) => i.path === 'logging.level')?.message).toContain('(from SYMPHONY_LOGGING_LEVEL)');
  });

  it('reports syntax errors as E_CONFIG_INVALID with the line', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'symphony.config.yaml'), 'server:\n  port: 1\n  port: 2\n');
    const err = await rejection(loadConfig({ cwd, env: {} }));
    expect(err.code).toBe('E_CONFIG_INVALID');
    expect(err.details).toMatchObject({ format: 'yaml', line: 3 });
    expect(failure(() => parseConfig('{"server": ', 'json')).details.format).toBe('json');
    expect(parseConfig('# nothing set yet\n', 'yaml', { baseDir: '/srv', env: { SYMPHONY_HOME: '/var/lib/symphony' } }).home).toBe('/var/lib/symphony');
    expect(parseConfig('home: .sym\n', 'yaml', { baseDir: '/srv' }).home).toBe('/srv/.sym');
  });
});

describe('validateConfig', () => {
  it('needs a model for the onnx policy, and keeps plugin options as written', () => {
    expect((failure(() => validateConfig({ conductor: { policy: 'onnx' } })).details.issues as Issue[])[0]?.path).toBe('conductor.model');
    const options = { deep: { list: [1, 2] } };
    expect(validateConfig({ pluginOptions: { x: options } }, { baseDir: '/srv' }).pluginOptions.x).toBe(options);
    expect(failure(() => validateConfig({ pluginOptions: { constructor: {} } })).code).toBe('E_CONFIG_INVALID');
  });

  it('turns even a throwing getter into E_CONFIG_INVALID', () => {
    const hostile = Object.defineProperty({}, 'server', { enumerable: true, get: () => { throw new TypeError('gotcha'); } });
    const err = failure(() => validateConfig(hostile));
    expect(err.code).toBe('E_CONFIG_INVALID');
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('exports a JSON Schema for editors', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['home', 'store', 'plugins', 'pluginOptions', 'server', 'logging', 'conductor']));
  });
});

describe('defaultHome', () => {
  it('--home, then SYMPHONY_HOME, then XDG_DATA_HOME/symphony, then the platform data dir', () => {
    const env = { SYMPHONY_HOME: 'h', XDG_DATA_HOME: '/xdg' };
    expect(defaultHome({ flag: 'f', env, cwd: '/w' })).toBe('/w/f');
    expect(defaultHome({ env, cwd: '/w' })).toBe('/w/h');
    expect(defaultHome({ env: { XDG_DATA_HOME: '/xdg' } })).toBe('/xdg/symphony');
    expect(defaultHome({ env: {}, userHome: '/home/u', platform: 'linux' })).toBe('/home/u/.local/share/symphony');
    expect(defaultHome({ env: {}, userHome: '/Users/u', platform: 'darwin' })).toBe('/Users/u/Library/Application Support/symphony');
  });
});
