import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSymphony } from '@symphony/runtime';

export const EXAMPLE_DIR = fileURLToPath(new URL('../../../examples/hotspots/', import.meta.url));
export const EXAMPLE_WORKFLOW = join(EXAMPLE_DIR, 'workflow.yaml');
export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * The CLI's embedded composition (`@symphony/runtime`): the LMDB store under `home`, the Pit, the
 * stage with the built-in operators and instruments and the hotspot example's extensions in
 * worker threads, and the Conductor with its bundled policy.
 */
export async function embeddedKernel(home: string) {
  const symphony = await createSymphony({ home, extensions: [join(EXAMPLE_DIR, 'extensions')], logLevel: 'silent' });
  return symphony.kernel;
}

/** A small git repository with history: `src/hot.js` changes every commit and grows. */
export function demoRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-web-repo-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('config', 'user.email', 'web@symphony.invalid');
  git('config', 'user.name', 'web');
  mkdirSync(join(dir, 'src'));
  for (let round = 1; round <= 4; round++) {
    writeFileSync(join(dir, 'src', 'hot.js'), Array.from({ length: round * 5 }, (_, i) => `if (x === ${i}) { y(); } else { z(); }`).join('\n'));
    if (round % 2 === 0) writeFileSync(join(dir, 'src', 'cold.js'), `export const round = ${round};\n`);
    git('add', '-A');
    git('commit', '-q', '-m', `round ${round}`);
  }
  return dir;
}

/** `CHROMIUM_PATH`, else Debian's chromium; undefined when neither exists (the browser tests skip). */
export function findChromium(): string | undefined {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => Boolean(p) && existsSync(p as string));
}

export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'];

/** The server serves the built web app; build it once if `pnpm build` has not run. */
export function ensureWebBuilt(): void {
  if (existsSync(join(WEB_DIR, 'dist', 'index.html'))) return;
  execFileSync('pnpm', ['exec', 'vite', 'build', '--logLevel', 'warn'], { cwd: WEB_DIR, stdio: 'inherit' });
}
