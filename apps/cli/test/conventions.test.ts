import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, symphony } from './cli-harness.js';

// The command-line conventions of git and npm, through the built CLI as a user runs it.
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'symphony-cli-conv-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('symphony CLI conventions', () => {
  it('-V/--version print the package version; -h/--help the usage, exit 0', async () => {
    const cwd = tmp();
    const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
    for (const flag of ['-V', '--version']) expect(await symphony([flag], { cwd })).toMatchObject({ code: 0, stdout: `${version}\n` });
    for (const flag of ['-h', '--help', 'help']) {
      const r = await symphony([flag], { cwd });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('symphony <command>');
    }
  });

  it('<command> --help prints that command\'s options, never running it', async () => {
    const cwd = tmp();
    const run = await symphony(['run', '--help'], { cwd });
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^symphony run <workflow.yaml>/);
    expect(run.stdout).toContain('--resume <runId>');
    const install = await symphony(['ext', 'install', '--help'], { cwd });
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('install <id>[@range]');
    expect(install.stdout).not.toContain('uninstall <id>');
    const create = await symphony(['ext', 'create', '-h'], { cwd });
    expect(create.code).toBe(0);
    expect(create.stdout).toContain('symphony ext create');
    expect(create.stdout).not.toContain('symphony-sdk');
    const audit = await symphony(['ext', 'audit', '--help'], { cwd, env: { SYMPHONY_HOME: join(cwd, 'home') } });
    expect(audit.stdout).toMatch(/^symphony ext audit/);
    expect(audit.stdout).not.toContain('no audit entries');
  });

  it('every command and subcommand answers --help/-h on stdout with exit 0, and runs nothing', async () => {
    const cwd = tmp();
    const home = join(cwd, 'home');
    const asked = [
      ['tokens', '--help'],
      ['tokens', '-h'],
      ['tokens', 'create', '--help'],
      ['tokens', 'list', '--help'],
      ['tokens', 'revoke', '--help'],
      ['ext', 'grant', '--help'],
      ['ext', 'revoke', '-h'],
      ['ext', 'grants', '--help'],
      ['runs', 'show', '--help'],
      ['artifacts', 'get', '-h'],
    ];
    for (const args of asked) {
      const r = await symphony(args, { cwd, env: { SYMPHONY_HOME: home } });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(new RegExp(`^symphony ${args[0]} ${args[0] === 'ext' ? args[1] : ''}`));
      expect(r.stdout, args.join(' ')).toContain('--home');
      expect(r.stderr, args.join(' ')).toBe('');
    }
    // Asking for help created no home: no token store, no grants file, no ledger.
    expect(existsSync(home)).toBe(false);
  });

  it('usage errors exit 2 with a hint; no stack trace', async () => {
    const cwd = tmp();
    for (const args of [['frobnicate'], ['run', '--no-such-flag'], ['ext', 'frobnicate'], ['ext', 'search', 'x']]) {
      const r = await symphony(args, { cwd, env: { SYMPHONY_REGISTRY: '' } });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('ext create works through the built CLI and writes a project that asks for ranges that exist', async () => {
    const cwd = tmp();
    const r = await symphony(['ext', 'create', 'operator', 'todo-count', '--publisher', 'acme'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(cwd, 'todo-count', 'package.json'), 'utf8'));
    expect(pkg.name).toBe('acme.todo-count');
    const vdom = JSON.parse(readFileSync(new URL('../../../packages/vdom/package.json', import.meta.url), 'utf8')).version as string;
    expect(pkg.dependencies['@symphony/vdom']).toBe(`^${vdom}`);
    expect(JSON.parse(readFileSync(join(cwd, 'todo-count', 'symphony.extension.json'), 'utf8')).id).toBe('acme.todo-count');
  });

  // util-linux `script` gives the CLI a real terminal; without it there is no TTY to test against.
  it.skipIf(!existsSync('/usr/bin/script'))('decides colour per stream: a terminal gets it, a redirected stderr never, NO_COLOR never', () => {
    const cwd = tmp();
    const err = join(cwd, 'err.txt');
    const onTty = (command: string, env: Record<string, string> = {}) =>
      execFileSync('/usr/bin/script', ['-qc', command, '/dev/null'], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', ...env } });
    const quoted = JSON.stringify(CLI);
    // stdout is the terminal, stderr a file (`2>log`): the file holds plain text.
    onTty(`${process.execPath} ${quoted} frobnicate 2>${JSON.stringify(err)}`);
    expect(readFileSync(err, 'utf8')).toContain('unknown command');
    expect(readFileSync(err, 'utf8')).not.toContain('\u001b[');
    // stderr is the terminal: coloured; with NO_COLOR set: plain.
    expect(onTty(`${process.execPath} ${quoted} frobnicate`)).toContain('\u001b[31m');
    expect(onTty(`${process.execPath} ${quoted} frobnicate`, { NO_COLOR: '1' })).not.toContain('\u001b[');
  });
});
