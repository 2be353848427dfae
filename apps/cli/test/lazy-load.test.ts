import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from './cli-harness.js';

// What a command loads, seen through a module resolve hook in the real CLI process: inspection
// commands open the store only, and --help/--version load nothing but the dispatcher.
const dir = mkdtempSync(join(tmpdir(), 'symphony-lazy-'));
const hooks = join(dir, 'hooks.mjs');
const register = join(dir, 'register.mjs');
writeFileSync(
  hooks,
  `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  if (!spec.startsWith('.') && !spec.startsWith('node:') && !spec.startsWith('file:') && !spec.startsWith('/')) appendFileSync(process.env.LAZY_LOG, spec + '\\n');
  return next(spec, ctx);
}
`,
);
// require() too (pino, semver and lmdb's helpers are CommonJS): every bare name the process asks for.
writeFileSync(
  register,
  `import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify(pathToFileURL(hooks).href)});
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (!request.startsWith('.') && !request.startsWith('node:') && !request.startsWith('/')) appendFileSync(process.env.LAZY_LOG, request + '\\n');
  return resolveFilename.call(this, request, ...rest);
};
`,
);

function loaded(args: string[]): { code: number | null; stdout: string; modules: Set<string> } {
  const log = join(dir, `log-${Math.random().toString(36).slice(2)}`);
  writeFileSync(log, '');
  const home = join(dir, 'home');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', SYMPHONY_HOME: home, LAZY_LOG: log } });
  return { code: r.status, stdout: r.stdout, modules: new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean)) };
}

// What `runs list` must not pay for: the Stage, the Conductor's policy, and the libraries only a run,
// a schema or a log line needs (zod through @symphony/types' schemas and @symphony/config, pino,
// npm's semver for `requires` ranges).
const HEAVY = ['onnxruntime-node', '@symphony/extension-loader', '@symphony/sandbox', '@symphony/ipc-bus', '@symphony/stage-operators', '@symphony/stage-instruments', '@symphony/pit-pool', '@symphony/metrics', '@symphony/conductor', '@symphony/types', '@symphony/config', 'zod', 'pino', 'pino-pretty', 'semver', 'yaml'];

describe('symphony loads lazily', () => {
  it('runs list/show and artifacts list open only the store', () => {
    for (const args of [['runs', 'list', '--json'], ['artifacts', 'list', '--json'], ['runs', 'show', 'no-such-run']]) {
      const r = loaded(args);
      expect(r.modules.has('@symphony/pit-dag'), args.join(' ')).toBe(true);
      expect(HEAVY.filter((m) => r.modules.has(m)), args.join(' ')).toEqual([]);
      if (args[2] === '--json') {
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual([]);
      } else expect(r.code).toBe(1);
    }
  });

  it('each ext subcommand loads its own package only', () => {
    const help = loaded(['ext', '--help']);
    expect(help.code).toBe(0);
    expect([...help.modules].filter((m) => m.startsWith('@symphony/') || m === 'zod')).toEqual(['@symphony/config/home', '@symphony/types/core']);
    const audit = loaded(['ext', 'audit', '--json']);
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout)).toEqual([]); // JSON alone, even with no entries
    expect(audit.modules.has('@symphony/sandbox')).toBe(true);
    expect(['@symphony/sdk/cli', '@symphony/marketplace'].filter((m) => audit.modules.has(m))).toEqual([]);
    const list = loaded(['ext', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.modules.has('@symphony/marketplace')).toBe(true);
    expect(['@symphony/sdk/cli', 'onnxruntime-node'].filter((m) => list.modules.has(m))).toEqual([]);
  });

  it('tokens loads the token store, not the server', () => {
    const r = loaded(['tokens', 'list']);
    expect(r.code).toBe(0);
    expect(r.modules.has('@symphony/server/tokens')).toBe(true);
    expect(['@symphony/server', 'fastify', '@symphony/conductor', 'zod'].filter((m) => r.modules.has(m))).toEqual([]);
  });

  it('an unknown runs subcommand is a usage error before any store opens', () => {
    const home = join(dir, 'untouched-home');
    const r = loaded(['runs', 'bogus', '--home', home]);
    expect(r.code).toBe(2);
    expect(existsSync(home)).toBe(false);
  });

  it('--help and --version load no package at all', () => {
    for (const flag of ['--help', '-V', 'runs --help', 'tokens --help', 'worker --help', 'serve -h']) {
      const r = loaded(flag.split(' '));
      expect(r.code).toBe(0);
      expect([...r.modules].filter((m) => m.startsWith('@symphony/') || !/^[a-z_]+(\/[a-z_]+)?$/.test(m))).toEqual([]);
    }
  });
});
