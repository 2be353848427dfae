import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const EXAMPLE = fileURLToPath(new URL('../../../examples/hotspots/workflow.yaml', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  stdout: string;
  stderr: string;
}

/**
 * The home every run of this test process uses unless the test passes `--home` or its own
 * `SYMPHONY_HOME`: a temp folder outside any workspace, never the user's real data directory.
 */
export const TEST_HOME = mkdtempSync(join(tmpdir(), 'symphony-cli-home-'));

/** Runs `symphony ...` as a real child process; `onLine` sees each --json line as it arrives. */
export function symphony(args: string[], options: { cwd: string; env?: Record<string, string>; onLine?: (line: Record<string, unknown>, child: ChildProcess) => void }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', SYMPHONY_HOME: TEST_HOME, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const lines: Record<string, unknown>[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        // NDJSON lines from `run --json`; pretty-printed documents are read from stdout whole.
        if (!text.startsWith('{"') || !text.endsWith('}')) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        options.onLine?.(line, child);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, lines, stdout, stderr }));
  });
}

/** A small git repository with a few commits, in a fresh temp dir. */
export function demoRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'symphony-e2e-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('config', 'user.email', 'e2e@symphony.invalid');
  git('config', 'user.name', 'e2e');
  mkdirSync(join(dir, 'src'));
  for (let round = 1; round <= 4; round++) {
    writeFileSync(join(dir, 'src', 'hot.js'), Array.from({ length: round * 5 }, (_, i) => `if (x === ${i}) { y(); } else { z(); }`).join('\n'));
    if (round % 2 === 0) writeFileSync(join(dir, 'src', 'cold.js'), `export const round = ${round};\n`);
    git('add', '-A');
    git('commit', '-q', '-m', `round ${round}`);
  }
  return dir;
}
