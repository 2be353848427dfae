import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (where `models/` and `dist/extensions/` live), found from this module's own
 * location: `src/` under vitest, `dist/` or a chunk beside `dist/extensions/<name>/` once built.
 */
export const PACKAGE_DIR: string = (() => {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  const parts = here.split(/[\\/]/);
  const dist = parts.lastIndexOf('dist');
  if (dist !== -1) return parts.slice(0, dist).join('/') || '/';
  const src = parts.lastIndexOf('src');
  return src !== -1 ? parts.slice(0, src).join('/') || '/' : dirname(here);
})();
