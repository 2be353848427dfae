#!/usr/bin/env node
// Enforces DESIGN.md's layering on package.json dependencies and on `src/` imports:
// a package may depend on packages of lower layers (and of its own layer, except that Pit
// packages never import each other: they meet through kernel services by name). The kernel
// stays tiny: @symphony/types + eventemitter3 + npm's semver only, under 1,000 lines of source.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = [
  ['types'],
  ['config', 'manifest', 'logging', 'metrics', 'hooks'],
  ['kernel'],
  ['ipc-bus', 'sandbox', 'vdom', 'state-sync', 'pit-*'],
  ['extension-loader', 'sdk', 'stage-*'],
  ['conductor', 'runtime', 'scale-out'],
  ['registry', 'marketplace'],
];
const layerOf = (name) => {
  const short = name.replace('@symphony/', '');
  const i = LAYERS.findIndex((names) => names.some((n) => (n.endsWith('*') ? short.startsWith(n.slice(0, -1)) : n === short)));
  return i < 0 ? undefined : i + 1;
};

const problems = [];
const dirs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)).filter((d) => existsSync(join(d, 'package.json')));
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const mine = layerOf(pkg.name);
  if (mine === undefined) {
    problems.push(`${pkg.name}: not placed in any layer of DESIGN.md (add it to scripts/check-layers.mjs)`);
    continue;
  }
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  for (const file of sourceFiles(join(dir, 'src'))) {
    // Type-only imports are erased at build time: they are not runtime dependencies.
    const code = readFileSync(file, 'utf8').replace(/(import|export)\s+type\s+[^;]*?from\s+['"][^'"]+['"]/g, '');
    for (const m of code.matchAll(/(?:from\s+|import\s*\(\s*)['"](@symphony\/[a-z0-9-]+)/g)) deps.add(m[1]);
  }
  for (const dep of deps) {
    if (!dep.startsWith('@symphony/') || dep === pkg.name) continue;
    const theirs = layerOf(dep);
    if (theirs === undefined) continue;
    if (theirs > mine) problems.push(`${pkg.name} (layer ${mine}) depends on ${dep} (layer ${theirs}): imports only go down`);
    const isPit = (n) => n.startsWith('@symphony/pit-');
    if (isPit(pkg.name) && isPit(dep)) problems.push(`${pkg.name} imports ${dep}: Pit packages meet through kernel services, never imports`);
  }
  if (pkg.name === '@symphony/kernel') {
    const external = Object.keys(pkg.dependencies ?? {}).filter((d) => d !== '@symphony/types' && d !== 'eventemitter3' && d !== 'semver');
    if (external.length) problems.push(`@symphony/kernel must depend only on @symphony/types, eventemitter3 and semver, not ${external.join(', ')}`);
    const lines = sourceFiles(join(dir, 'src')).reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length, 0);
    if (lines >= 1000) problems.push(`@symphony/kernel has ${lines} lines of source: keep it under 1,000`);
  }
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(m|c)?tsx?$/.test(name) ? [path] : [];
  });
}

if (problems.length) {
  console.error(`Layering problems (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`layers ok: ${dirs.length} packages checked`);
