import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ExtensionHost } from '../src/index.js';

const sdk = pathToFileURL(createRequire(import.meta.url).resolve('@symphony/sdk')).href;
let host: ExtensionHost | undefined;
let dir: string | undefined;
afterEach(async () => {
  await host?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  host = undefined;
});

/** Writes version `tag` of a small extension whose every reply says which version answered. */
function writeVersion(folder: string, tag: string, version: string, broken = false): void {
  writeFileSync(join(folder, 'symphony.extension.json'), JSON.stringify({ id: 'acme.live', version, kind: 'operator', main: 'index.mjs' }));
  writeFileSync(
    join(folder, 'index.mjs'),
    `import { defineOperator } from '${sdk}';
${broken ? "throw new Error('syntax of the future');" : ''}
export default defineOperator({
  manifest: { id: 'acme.live', version: '${version}' },
  methods: {
    version: () => '${tag}',
    slow: ({ ms }) => new Promise((resolve) => setTimeout(() => resolve('${tag}'), ms)),
  },
});
`,
  );
}

describe.each(['worker', 'process'] as const)('hot reload in %s mode', (mode) => {
  it('finishes calls in flight on the old version, sends new calls to the new one, and keeps the old one if the new fails', async () => {
    dir = mkdtempSync(join(tmpdir(), 'symphony-reload-'));
    writeVersion(dir, 'v1', '1.0.0');
    host = new ExtensionHost({ dirs: [{ path: dir, mode }], watch: true, watchDebounceMs: 50, pingIntervalMs: 0 });
    await host.load();
    expect(await host.call('acme.live/version')).toBe('v1');

    const inFlight = Array.from({ length: 8 }, () => host!.call('acme.live/slow', { ms: 400 }));
    const reloaded = new Promise((resolve) => host!.once('reloaded', resolve));
    writeVersion(dir, 'v2', '1.1.0');
    expect(await reloaded).toEqual({ id: 'acme.live', from: '1.0.0', to: '1.1.0' });
    expect(await host.call('acme.live/version')).toBe('v2');
    expect(await Promise.all(inFlight)).toEqual(Array(8).fill('v1'));
    expect(host.list()[0]).toMatchObject({ version: '1.1.0', state: 'running' });

    const failed = new Promise<{ error: { code: string } }>((resolve) => host!.once('reload-failed', resolve));
    writeVersion(dir, 'v3', '1.2.0', true);
    expect((await failed).error.code).toBe('E_EXTENSION_START');
    expect(await host.call('acme.live/version')).toBe('v2');
    expect(host.list()[0]).toMatchObject({ version: '1.1.0', state: 'running' });
  });
});
