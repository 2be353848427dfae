import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, symphony } from './cli-harness.js';

// Found by attacking the run engine from outside (issue 14): each test is one promise that broke.
const ENGINE = join(FIXTURES, 'engine');
const work = mkdtempSync(join(tmpdir(), 'symphony-attack-engine-'));
const home = mkdtempSync(join(tmpdir(), 'symphony-attack-engine-home-')); // outside the workspace
afterAll(() => [work, home].forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `symphony serve` until it prints its URL; then SIGTERM, and what it wrote. */
function serveOnce(args: string[]): Promise<{ url: string; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--home', home, ...args], {
      cwd: work,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let url = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      const m = /Symphony server on (http:\/\/\S+)/.exec(output);
      if (m && !url) {
        url = m[1]!;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', () => (url ? resolve({ url, output }) : reject(new Error(`serve never listened:\n${output}`))));
  });
}

describe('symphony serve with several workflows', () => {
  it('two workflow files of one folder load that folder\'s extensions once (no E_EXTENSION_DUPLICATE)', async () => {
    const { url, output } = await serveOnce(['--workflow', join(ENGINE, 'always-exit.yaml'), '--workflow', join(ENGINE, 'slow-chain.yaml')]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(output).not.toContain('E_EXTENSION_DUPLICATE');
    expect(output).not.toContain('installed twice');
  });
});

describe('help names the real default home', () => {
  it('run, runs, artifacts and serve --help give the XDG default, not ./.symphony (a home in the workspace is refused)', async () => {
    for (const command of ['run', 'runs', 'artifacts', 'serve']) {
      const help = await symphony([command, '--help'], { cwd: work });
      expect(help.code).toBe(0);
      expect(help.stdout).not.toContain('./.symphony');
      expect(help.stdout).toContain('$XDG_DATA_HOME/symphony');
    }
  });
});

describe('two runs on one home', () => {
  it('the second process, standing by for the first one\'s pit.stale lock, prints no stack trace', async () => {
    const runHome = mkdtempSync(join(tmpdir(), 'symphony-attack-engine-two-'));
    try {
      let second: ReturnType<typeof symphony> | undefined;
      const first = await symphony(['run', join(ENGINE, 'slow-chain.yaml'), '--json', '--home', runHome], {
        cwd: work,
        onLine: (line) => {
          // The first run holds the lock from its start to its end: start the second while it lives.
          if (line.event === 'step:start' && line.stepId === 'a' && !second) second = symphony(['run', join(ENGINE, 'slow-chain.yaml'), '--json', '--home', runHome], { cwd: work });
        },
      });
      const other = await second!;
      expect(first.code).toBe(0);
      expect(other.code).toBe(0);
      expect(other.stderr).not.toMatch(/\n\s+at |\\n\s+at |"stack"/);
    } finally {
      rmSync(runHome, { recursive: true, force: true });
    }
  });
});

describe('run --input', () => {
  it('__proto__ is an input name like any other: undeclared, it is refused (it was silently dropped) and no home is created', async () => {
    const file = join(work, 'one-input.yaml');
    writeFileSync(file, 'name: one-input\ninputs:\n  n: { type: number }\nsteps:\n  - id: a\n    uses: symphony.files/glob\n    with: { patterns: ["*.none"] }\n');
    const fresh = join(home, 'never-created');
    const run = await symphony(['run', file, '--input', '__proto__=1', '--input', 'n=2', '--json', '--home', fresh], { cwd: work });
    expect(run.code).toBe(1);
    expect(run.lines.at(-1)).toMatchObject({ type: 'error', error: { code: 'E_INPUT_INVALID' } });
    expect(JSON.stringify(run.lines.at(-1))).toContain('__proto__');
    expect(existsSync(fresh)).toBe(false);
  });
});

describe('a reader that goes away', () => {
  it('run --json whose stdout is closed after the first line: the run still ends, succeeded, exit 0, no EPIPE crash', async () => {
    const runHome = mkdtempSync(join(tmpdir(), 'symphony-attack-engine-pipe-'));
    try {
      const child = spawn(process.execPath, [CLI, 'run', join(ENGINE, 'slow-chain.yaml'), '--json', '--home', runHome], { cwd: work, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let first = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      // `| head -1`: read one line, then close the pipe; every later write of the CLI meets EPIPE.
      child.stdout.on('data', (chunk: Buffer) => {
        first += chunk;
        if (first.includes('\n')) child.stdout.destroy();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect(stderr).not.toMatch(/EPIPE|Unhandled 'error'|\n\s+at /);
      expect(code).toBe(0);
      const runId = (JSON.parse(first.split('\n')[0]!) as { runId: string }).runId;
      const show = await symphony(['runs', 'show', runId, '--json', '--home', runHome], { cwd: work });
      expect(JSON.parse(show.stdout).run.status).toBe('succeeded');
    } finally {
      rmSync(runHome, { recursive: true, force: true });
    }
  });
});

describe('a run stopped with SIGTERM', () => {
  it('prints a summary naming the resume command, exits 143, and the resumed run succeeds', async () => {
    const runHome = mkdtempSync(join(tmpdir(), 'symphony-attack-engine-term-'));
    try {
      const child = spawn(process.execPath, [CLI, 'run', join(ENGINE, 'slow-chain.yaml'), '--json', '--home', runHome], { cwd: work, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        if (out.includes('"step:start"') && !child.killed) child.kill('SIGTERM');
      });
      const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      // Exited by itself with 143, not killed by a signal (exiting mid-commit once ended in SIGABRT).
      expect(ended, `${out}\n${stderr}`).toEqual({ code: 143, signal: null });
      expect(stderr).not.toMatch(/\n\s+at /);
      const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; runId?: string; status?: string; interrupted?: string });
      const result = lines.find((l) => l.type === 'result');
      expect(result).toMatchObject({ status: 'running', interrupted: 'SIGTERM' });
      const resumed = await symphony(['run', '--resume', result!.runId!, '--json', '--home', runHome], { cwd: work });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.lines.find((l) => l.type === 'result')).toMatchObject({ status: 'succeeded' });
    } finally {
      rmSync(runHome, { recursive: true, force: true });
    }
  });
});

describe('artifacts of a workflow whose name holds an @', () => {
  it('artifacts get deploy@prod/a finds the output (the @ was read as a version selector)', async () => {
    const file = join(work, 'at-name.yaml');
    writeFileSync(file, 'name: deploy@prod\nsteps:\n  - id: a\n    uses: symphony.files/glob\n    with: { patterns: ["*.none"] }\n');
    const runHome = mkdtempSync(join(tmpdir(), 'symphony-attack-engine-at-'));
    try {
      const run = await symphony(['run', file, '--json', '--home', runHome], { cwd: work });
      expect(run.code, run.stderr).toBe(0);
      const whole = await symphony(['artifacts', 'get', 'deploy@prod/a', '--json', '--home', runHome], { cwd: work });
      expect(whole.code, whole.stderr).toBe(0);
      expect(JSON.parse(whole.stdout).info).toMatchObject({ name: 'deploy@prod/a', version: 1 });
      const versioned = await symphony(['artifacts', 'get', 'deploy@prod/a@1', '--json', '--home', runHome], { cwd: work });
      expect(JSON.parse(versioned.stdout).info).toMatchObject({ name: 'deploy@prod/a', version: 1 });
    } finally {
      rmSync(runHome, { recursive: true, force: true });
    }
  });
});
