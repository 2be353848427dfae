import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SymphonyError } from '@symphony/types';
import type { CliIo } from './io.js';

/** Runs a child with its output forwarded to the CLI's streams; resolves with the exit code. */
export function runChild(command: string, args: string[], io: CliIo, cwd: string, env: Record<string, string | undefined> = io.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => io.stdout.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => io.stderr.write(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function scripts(dir: string): Promise<Record<string, string>> {
  try {
    return (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  } catch {
    return {};
  }
}

/** `npm run build` when the project has a build script (a template project runs tsup). */
export async function build(dir: string, io: CliIo): Promise<boolean> {
  if (!(await scripts(dir)).build) return false;
  const code = await runChild(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], io, dir);
  if (code !== 0) {
    throw new SymphonyError('E_BUILD_FAILED', `the build of ${dir} failed (npm run build exited ${code}); its output is above`, { details: { path: dir, exitCode: code } });
  }
  return true;
}

/** Test files the Node test runner can run as they are: `test/**\/*.test.{mjs,js,cjs}`. */
export async function findTests(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const entry of await readdir(join(dir, rel), { withFileTypes: true }).catch(() => [])) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory() && entry.name !== 'node_modules') await walk(path);
      else if (/\.test\.(mjs|cjs|js)$/.test(entry.name)) out.push(path);
    }
  };
  await walk('test');
  return out.sort();
}
