#!/usr/bin/env node
// The README's first command: a hotspot analysis of this repository (or, outside a git
// checkout, of a small repository made in a temp dir), with the embedded defaults: the LMDB
// store in the Symphony home (SYMPHONY_HOME, else $XDG_DATA_HOME/symphony, else
// ~/.local/share/symphony: never inside the analysed workspace), the bundled ONNX policy and the
// built-in operators. The report is a workflow output written into the workspace.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'apps', 'cli', 'dist', 'cli.js');

function gitRoot(dir) {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** A few commits of a tiny project, so the example has history to read anywhere. */
function makeDemoRepo() {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-hotspots-'));
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('config', 'user.email', 'demo@symphony.invalid');
  git('config', 'user.name', 'Symphony demo');
  mkdirSync(join(dir, 'src'));
  const files = {
    'src/parser.js': (n) => `export function parse(s) {\n${Array.from({ length: n }, (_, i) => `  if (s[${i}] === '${i}') { return ${i}; } else if (s.length > ${i}) { s = s.slice(1); }`).join('\n')}\n  return -1;\n}\n`,
    'src/util.js': (n) => `export const id = (x) => x;\nexport const n = ${n};\n`,
    'src/server.js': (n) => `export function handle(req) {\n${Array.from({ length: n }, (_, i) => `  switch (req.kind) { case ${i}: return ${i}; default: break; }`).join('\n')}\n}\n`,
  };
  for (let round = 1; round <= 8; round++) {
    for (const [path, body] of Object.entries(files)) {
      if (path === 'src/util.js' && round % 4 !== 0) continue;
      if (path === 'src/server.js' && round % 2 !== 0) continue;
      writeFileSync(join(dir, path), body(round * 3));
    }
    git('add', '-A');
    git('commit', '-q', '-m', `round ${round}`);
  }
  return dir;
}

const root = gitRoot(process.cwd());
const workspace = root ?? makeDemoRepo();
if (!root) console.error(`(not inside a git repository: analysing a demo repository made in ${workspace})`);
const args = [cli, 'run', join(here, 'workflow.yaml'), ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: workspace, stdio: 'inherit', env: { ...process.env, SYMPHONY_WORKSPACE: workspace } });
if (result.status === 0) console.log(`\nreport: ${join(workspace, '.symphony', 'reports', 'hotspots.md')}`);
process.exit(result.status ?? 1);
