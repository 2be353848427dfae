import { parseArgs } from 'node:util';
import { toSymphonyError } from '@symphony/types';
import { createCommand, devCommand, keysCommand, packCommand, publishCommand, testCommand, type Flags } from './commands.js';
import { processIo, type CliIo } from './io.js';

export const USAGE = `symphony-sdk <command>

  create <instrument|operator|motif> <name>  a working extension from a template [--publisher p] [--dir .]
  dev                                        run it in a local kernel, hot reload, call methods at a prompt
  test                                       build, then run test/*.test.mjs against the real bus and sandbox
  pack                                       build, then a signed tarball [--key file] [--out dir] [--json]
  publish [file.tgz]                         pack (unless a file is given) and publish [--registry url] [--tag t]
  keys generate                              an ed25519 signing key [--out dir] [--name n] [--publisher p]

  --dir <folder>   the extension (default: the current folder)    --no-build   skip npm run build`;

/**
 * The whole CLI as a function (the `symphony-sdk` bin, and `symphony ext …` in apps/cli call it).
 * Returns the exit code; every failure prints `error E_CODE: message` on stderr.
 */
export async function runSdkCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`error E_USAGE: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, ...positionals] = parsed.positionals;
  const flags: Flags = { ...parsed.values, build: !parsed.values['no-build'] };
  // `-h`/`--help` anywhere prints the usage and does nothing else (`pack --help` used to build and sign,
  // `publish --help` to publish).
  if (parsed.values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'create': return await createCommand(positionals, flags, io);
      case 'dev': return await devCommand(flags, io);
      case 'test': return await testCommand(flags, io);
      case 'pack': await packCommand(flags, io); return 0;
      case 'publish': return await publishCommand(positionals, flags, io);
      case 'keys': return await keysCommand(positionals, flags, io);
      case undefined: case 'help': case '--help':
        io.stdout.write(`${USAGE}\n`);
        return command ? 0 : 2;
      default:
        io.stderr.write(`error E_USAGE: unknown command "${command}"\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    const e = toSymphonyError(error);
    io.stderr.write(`error ${e.code}: ${e.message}\n`);
    return e.code === 'E_USAGE' ? 2 : 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      publisher: { type: 'string' },
      key: { type: 'string' },
      out: { type: 'string' },
      registry: { type: 'string' },
      tag: { type: 'string' },
      mode: { type: 'string' },
      name: { type: 'string' },
      'symphony-range': { type: 'string' },
      json: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export { createExtension, type CreateOptions, type Created } from './create.js';
export type { CliIo } from './io.js';
