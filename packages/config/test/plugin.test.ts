import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createKernel } from '@symphony/kernel';
import { configPlugin, loadConfig, type ConfigWatcher, type SymphonyConfig } from '../src/index.js';

function nextEvent<T>(subscribe: (fn: (payload: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('no event')), 10_000);
    subscribe((payload) => {
      clearTimeout(guard);
      resolve(payload);
    });
  });
}

describe('configPlugin', { timeout: 30_000 }, () => {
  it('watches the file the kernel config came from and announces changes and rejected edits on the bus', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'symphony-config-plugin-'));
    const file = join(cwd, 'symphony.config.json');
    await writeFile(file, JSON.stringify({ server: { port: 1 } }));
    const config: SymphonyConfig = await loadConfig({ cwd, env: {} });
    const kernel = createKernel({ config, plugins: [configPlugin] });
    await kernel.start();
    const service = kernel.service('config');
    expectTypeOf(service).toEqualTypeOf<ConfigWatcher>();
    expect(service.current.server.port).toBe(1);

    const changed = nextEvent<{ config: SymphonyConfig }>((fn) => kernel.events.once('config:change', fn));
    await writeFile(file, JSON.stringify({ server: { port: 2 } }));
    expect((await changed).config.server.port).toBe(2);

    const rejected = nextEvent<{ error: { code: string } }>((fn) => kernel.events.once('config:error', fn));
    await writeFile(file, JSON.stringify({ server: { port: -5 } }));
    expect((await rejected).error.code).toBe('E_CONFIG_INVALID');
    expect(service.current.server.port).toBe(2);
    expect((await kernel.health()).plugins.config?.status).toBe('degraded');
    await kernel.stop();
  });
});
