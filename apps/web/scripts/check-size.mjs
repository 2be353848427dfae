#!/usr/bin/env node
// The first screen's JavaScript, gzipped: the entry script named in dist/index.html and every
// chunk it imports statically (lazy pages and components, loaded with `import()`, not counted).
// Usage: node scripts/check-size.mjs [dist] [--max-kib 120]   Exit 1 when over the budget.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const BUDGET_KIB = 120;

/** `{ files: [{ file, gzip }], totalGzip }` for the first screen of the build in `dist`. */
export function firstScreenJs(dist) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]+type="module"[^>]+src="\/?([^"]+)"/g), ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/?([^"]+)"/g)].map((m) => m[1]);
  if (entries.length === 0) throw new Error(`no module script in ${join(dist, 'index.html')}`);
  const seen = new Set();
  const queue = [...entries];
  const files = [];
  while (queue.length) {
    const rel = queue.shift();
    if (seen.has(rel)) continue;
    seen.add(rel);
    const code = readFileSync(join(dist, rel));
    files.push({ file: rel, gzip: gzipSync(code, { level: 9 }).length });
    // Static imports only: `import{a}from"./x.js"` or `import"./x.js"`; `import("./x.js")` is lazy.
    for (const m of code.toString('utf8').matchAll(/\bimport\s*(?:[^"'()]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+)["']/g)) {
      queue.push(join(dirname(rel), m[1]));
    }
  }
  return { files, totalGzip: files.reduce((n, f) => n + f.gzip, 0) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--max-kib');
  const max = at >= 0 ? Number(args[at + 1]) : BUDGET_KIB;
  const dist = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--max-kib') ?? fileURLToPath(new URL('../dist', import.meta.url));
  const { files, totalGzip } = firstScreenJs(dist);
  for (const f of files) console.log(`${(f.gzip / 1024).toFixed(1).padStart(7)} KiB  ${f.file}`);
  console.log(`${(totalGzip / 1024).toFixed(1).padStart(7)} KiB  first screen JS, gzipped (budget ${max} KiB)`);
  process.exit(totalGzip > max * 1024 ? 1 : 0);
}
