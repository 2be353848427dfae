import { parseArgs } from 'node:util';
import { ce } from './term.js';
import { COMMAND_HELP, cliVersion, isUsageError, wantsHelp } from './help.js';
import { armEarlySigterm } from './early-sigterm.js';

const USAGE = `symphony <command>

  run <workflow.yaml> [--input k=v]... [--resume <runId>] [--rerun <runId> [--from failed|all|<step>]] [--json] [--home dir]
  runs list | show <runId> | explain <runId>      [--json] [--home dir]
  artifacts list | get <name[@version]> [--out file]  [--json] [--home dir]
  train [--episodes N] [--seed S] [--out dir] [--promote] [--json] [--home dir]   (stores conductor-policy@candidate; gated promotion)
  train --rollback [--home dir]  put the previous production policy back
  train --replay [--home dir]    fine-tune on decision traces curated by pit.stale (offline)
  eval [--seed-base N] [--quests N] [--seed S] [--home dir | --model file.onnx] [--json]
  ext <create|dev|test|pack|publish|keys|install|update|uninstall|list|outdated|search|info|trust|audit> ...
  serve [--host 127.0.0.1] [--port 7777] [--workflow file|dir]... [--home dir]   the HTTP + WebSocket API and the web UI
  desktop [--open symphony://runs/<id>] [--register] [--workflow file|dir]... [--home dir]   Symphony in an app window (server on loopback)
  worker --redis <url> [--concurrency N] [--extensions id,...]   run dispatched steps (scale-out over BullMQ on Redis)
  tokens create --scope <read|run|admin> [--name n] [--ttl-days d] | list | revoke <id>   [--home dir]

  -h, --help           this help; \`symphony <command> --help\` for a command's options
  -V, --version        the version
      --log-json       JSON log lines even on a terminal

The home (ledger, tokens, grants, audit log, installed extensions) is --home, else $SYMPHONY_HOME,
else $XDG_DATA_HOME/symphony, else ~/.local/share/symphony: never inside the workspace.`;

/**
 * A reader that goes away (`symphony run --json | head -1`) must not kill a run half-way: the
 * unhandled EPIPE crashed the process with a stack trace and left the run `running`. Output to a
 * closed pipe is dropped; the command goes on to its end and its exit code.
 */
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}

export async function main(args: string[]): Promise<number> {
  ignoreClosedPipes();
  // --log-json anywhere: JSON log lines even on a terminal (they are JSON already when not a TTY).
  const argv = args.filter((a) => a !== '--log-json');
  if (argv.length !== args.length) process.env.SYMPHONY_LOG_JSON = '1';
  const [command, ...rest] = argv;
  if (command === 'run') armEarlySigterm();
  if (command === '-V' || command === '--version') {
    process.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command && Object.hasOwn(COMMAND_HELP, command) && wantsHelp(rest)) {
    process.stdout.write(`${COMMAND_HELP[command]}\n`);
    return 0;
  }
  // Commands with flags of their own take the raw arguments.
  if (command === 'tokens') return (await import('./commands/tokens.js')).tokensCliCommand(rest);
  if (command === 'ext') return (await import('./commands/ext.js')).extCommand(rest);
  if (command === 'train') return (await import('./commands/train.js')).trainCli(rest);
  if (command === 'eval') return (await import('./commands/eval.js')).evalCli(rest);
  if (command === 'desktop') return (await import('./commands/desktop.js')).desktopCli(rest);
  if (command === 'worker') return (await import('./commands/worker.js')).workerCli(rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      input: { type: 'string', multiple: true, short: 'i' },
      resume: { type: 'string' },
      rerun: { type: 'string' },
      from: { type: 'string' },
      home: { type: 'string' },
      episodes: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string', short: 'o' },
      quests: { type: 'string' },
      model: { type: 'string' },
      policy: { type: 'string' },
      replay: { type: 'boolean', default: false },
      host: { type: 'string' },
      port: { type: 'string' },
      workflow: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (!command || values.help) {
    (command ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'serve':
      return (await import('./commands/serve.js')).serveCommand(values);
    default: {
      const { runCli } = await import('./commands/run-commands.js');
      return runCli(command, positionals, values);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    // Loaded on failure only: `--help`, `--version` and the dispatch itself load nothing more.
    const { SymphonyError, isSymphonyError, toSymphonyError } = await import('@symphony/types/core');
    const usage = isUsageError(err);
    const e = usage && !isSymphonyError(err) ? new SymphonyError('E_USAGE', (err as Error).message) : toSymphonyError(err);
    if (process.argv.includes('--json')) {
      // With --json the error is one JSON object on stdout (no stack), for scripts and CI.
      const { stack: _stack, cause: _cause, ...error } = e.toJSON();
      process.stdout.write(JSON.stringify({ type: 'error', error }) + '\n');
    } else {
      process.stderr.write(`${ce.red('✖')} ${e.message}${isSymphonyError(e) ? ` ${ce.dim(`[${e.code}]`)}` : ''}\n`);
      if (usage) process.stderr.write(`${ce.dim('see: symphony --help')}\n`);
      if (process.env.SYMPHONY_DEBUG) process.stderr.write(`${e.stack}\n`);
    }
    process.exitCode = usage ? 2 : 1;
  },
);
