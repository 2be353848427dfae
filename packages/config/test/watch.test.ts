import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SymphonyError } from '@symphony/types';
import { watchConfig, type ConfigWatcher, type SymphonyConfig } from '../src/index.js';

const watchers: ConfigWatcher[] = [];
afterEach(() => watchers.splice(0).forEach((w) => w.close()));

/** Resolves with the next event of `kind`; a 10 s guard turns a missed event into a failure, not a hang. */
function next<T>(watcher: ConfigWatcher, kind: 'change' | 'error'): Promise<T> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no ${kind} event`)), 10_000);
    const off = watcher.on(kind as 'error', (value: unknown) => {
      clearTimeout(guard);
      off();
      resolve(value as T);
    });
  });
}

describe('watchConfig', { timeout: 30_000 }, () => {
  it('applies a valid edit, reports an invalid one and keeps the last good config in force', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'symphony-watch-'));
    const file = join(cwd, 'symphony.config.json');
    await writeFile(file, JSON.stringify({ server: { port: 1000 } }));
    const watcher = await watchConfig({ cwd, env: {}, debounceMs: 20 });
    watchers.push(watcher);
    expect(watcher.current.server.port).toBe(1000);

    let changed = next<SymphonyConfig>(watcher, 'change');
    await writeFile(file, JSON.stringify({ server: { port: 2000 } }));
    expect((await changed).server.port).toBe(2000);

    const failed = next<SymphonyError>(watcher, 'error');
    await writeFile(file, JSON.stringify({ server: { port: 'not a port' } }));
    const error = await failed;
    expect(error.code).toBe('E_CONFIG_INVALID');
    expect(error.message).toContain('server.port');
    expect(watcher.current.server.port).toBe(2000);
    expect(watcher.lastError).toBe(error);

    const broken = next<SymphonyError>(watcher, 'error');
    await writeFile(file, '{ "server": ');
    expect((await broken).code).toBe('E_CONFIG_INVALID');
    expect(watcher.current.server.port).toBe(2000);

    // Editors save by writing a temp file and renaming it over the original.
    changed = next<SymphonyConfig>(watcher, 'change');
    await writeFile(join(cwd, '.tmp-save'), JSON.stringify({ server: { port: 3000 } }));
    await rename(join(cwd, '.tmp-save'), file);
    expect((await changed).server.port).toBe(3000);
    expect(watcher.lastError).toBeUndefined();
  });

  it('picks up a config file created after a zero-config start', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'symphony-watch-'));
    const seen: SymphonyConfig[] = [];
    const watcher = await watchConfig({ cwd, env: { SYMPHONY_SERVER_HOST: '0.0.0.0' }, debounceMs: 20, onChange: (c) => seen.push(c) });
    watchers.push(watcher);
    expect(watcher.current.configFile).toBeNull();
    const changed = next<SymphonyConfig>(watcher, 'change');
    await writeFile(join(cwd, 'symphony.config.yaml'), 'server:\n  port: 4242\n');
    const config = await changed;
    expect(config.server).toEqual({ host: '0.0.0.0', port: 4242 });
    expect(config.configFile).toBe(join(cwd, 'symphony.config.yaml'));
    expect(seen).toEqual([config]);
  });

  it('reload() re-reads on demand and a throwing listener does not stop the watcher', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'symphony-watch-'));
    const file = join(cwd, 'symphony.config.json');
    await writeFile(file, '{}');
    const watcher = await watchConfig({ cwd, env: {}, debounceMs: 10_000 }); // no automatic reload during this test
    watchers.push(watcher);
    watcher.on('change', () => {
      throw new Error('listener bug');
    });
    await writeFile(file, JSON.stringify({ logging: { level: 'debug' } }));
    expect((await watcher.reload()).logging.level).toBe('debug');
    await writeFile(file, JSON.stringify({ logging: { level: 'nope' } }));
    expect((await watcher.reload()).logging.level).toBe('debug');
    expect(watcher.lastError?.code).toBe('E_CONFIG_INVALID');
  });

  it('an invalid config at start throws, there being no last good one', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'symphony-watch-'));
    await writeFile(join(cwd, 'symphony.config.json'), '[]');
    await expect(watchConfig({ cwd, env: {} })).rejects.toMatchObject({ code: 'E_CONFIG_INVALID' });
  });
});
