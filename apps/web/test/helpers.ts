import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const appDir = fileURLToPath(new URL('..', import.meta.url));
export const artifactsDir = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

/** `CHROMIUM_PATH`, else Debian's chromium; undefined when neither exists (the browser tests skip). */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p));
}

export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'];

/** The tests serve the built app; build it once if `pnpm build` has not run. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(`${appDir}/dist/index.html`)) return;
  await build({ root: appDir, logLevel: 'warn' });
}
