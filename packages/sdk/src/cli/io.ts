import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { SymphonyError } from '@symphony/types';

/** Where a command reads and writes: the real process by default, buffers in tests. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  cwd: string;
  env: Record<string, string | undefined>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env };
}

export function print(io: CliIo, line = ''): void {
  io.stdout.write(`${line}\n`);
}

/** `~/.symphony/keys`, or `$SYMPHONY_HOME/keys`. */
export function defaultKeyDir(io: CliIo): string {
  return join(io.env.SYMPHONY_HOME ?? join(io.env.HOME ?? homedir(), '.symphony'), 'keys');
}

export function defaultKeyPath(io: CliIo): string {
  return io.env.SYMPHONY_SIGNING_KEY ?? join(defaultKeyDir(io), 'symphony-publisher.key');
}

/** The SDK's own folder (holds `templates/` and package.json), found from this module. */
export function sdkRoot(): string {
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === '@symphony/sdk') return dir;
    } catch {
      // not here: go up
    }
    dir = dirname(dir);
  }
  throw new SymphonyError('E_INTERNAL', 'cannot find the @symphony/sdk package folder (is the SDK bundled into another package? it must stay a dependency)', { details: { from: dir } });
}

export function sdkVersion(): string {
  return (JSON.parse(readFileSync(join(sdkRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
