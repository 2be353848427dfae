#!/usr/bin/env node
// Every published package, checked as it will be published: `pnpm pack` of each public workspace
// package into a temp folder (workspace: ranges rewritten as on publish), then publint and
// @arethetypeswrong/core on each tarball, in process; then one `tsc` over every declared
// declaration file with `skipLibCheck: false`. Also: LICENSE, `repository`, `engines.node`
// present. Exits 1 naming each problem.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';

const hasRequire = (target) => target !== null && typeof target === 'object' && ('require' in target || Object.values(target).some(hasRequire));
const root = new URL('..', import.meta.url).pathname;
const dest = mkdtempSync(join(tmpdir(), 'symphony-packs-'));
const problems = [];
try {
  const dirs = ['packages', 'apps'].flatMap((top) => readdirSync(join(root, top)).map((d) => join(top, d)));
  const pub = dirs.filter((d) => !JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8')).private);
  execFileSync('pnpm', ['-r', ...pub.flatMap((d) => ['--filter', `./${d}`]), 'pack', '--pack-destination', dest], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const dir of pub) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    const where = `${pkg.name} (${dir})`;
    if (pkg.license !== 'MIT') problems.push(`${where}: license is not MIT`);
    if (!pkg.repository?.url || pkg.repository.directory !== dir) problems.push(`${where}: repository.url/directory missing or wrong`);
    if (!pkg.engines?.node) problems.push(`${where}: engines.node missing`);
    const file = join(dest, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
    const tarball = readFileSync(file);
    const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n');
    if (!listing.includes('package/LICENSE')) problems.push(`${where}: LICENSE not in the tarball`);
    const lint = await publint({ pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) }, strict: true, level: 'warning' });
    for (const m of lint.messages) problems.push(`${where}: publint ${m.type}: ${formatMessage(m, lint.pkg) ?? m.code}`);
    const result = await checkPackage(createPackageFromTarballData(new Uint8Array(tarball)), {
      // Asset subpaths (models, the web UI's static files) are not modules.
      excludeEntrypoints: [/^\.\/models\//, /^\.\/dist\//, /\.(onnx|json)$/],
    });
    for (const p of result.problems ?? []) {
      // node10 resolution (no `exports` support) is not a supported consumer: engines.node >= 20.
      if ('resolutionKind' in p && p.resolutionKind === 'node10') continue;
      // An ESM-only entry (no `require` condition) is one by design: `require` of it is not offered.
      if (p.kind === 'CJSResolvesToESM' && !hasRequire(pkg.exports?.[p.entrypoint])) continue;
      problems.push(`${where}: attw ${p.kind}${p.entrypoint ? ` at ${p.entrypoint}` : ''}${p.resolutionKind ? ` (${p.resolutionKind})` : ''}`);
    }
  }
  // Every declared declaration file, type-checked as a consumer with `skipLibCheck: false` would:
  // ours and what they import from dependencies (lmdb's ESM types, for one, are invalid). `dom` is
  // in `lib` because comlink's types (ipc-bus's `asComlinkEndpoint`) name DOM's MessagePort.
  const dts = [];
  const walk = (t) => { if (typeof t === 'string') { if (/\.d\.c?ts$/.test(t) && !t.includes('*')) dts.push(t); } else if (t && typeof t === 'object') Object.values(t).forEach(walk); };
  for (const dir of pub) {
    const before = dts.length;
    walk(JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).exports);
    for (let i = before; i < dts.length; i++) dts[i] = join(root, dir, dts[i]);
  }
  const tsconfig = join(dest, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({
    compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023', 'dom'], types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
    files: dts,
  }));
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', tsconfig], { cwd: root, encoding: 'utf8' });
  } catch (error) {
    problems.push(`declarations fail under skipLibCheck: false:\n${error.stdout}`);
  }
  if (problems.length) {
    console.error(problems.join('\n'));
    console.error(`check-packages: ${problems.length} problem(s) in ${pub.length} packages`);
    process.exit(1);
  }
  console.log(`check-packages: ${pub.length} packages pass publint, arethetypeswrong and a skipLibCheck: false type-check of ${dts.length} declaration files`);
} finally {
  rmSync(dest, { recursive: true, force: true });
}
