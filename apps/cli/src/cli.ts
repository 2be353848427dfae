import { parseArgs } from 'node:util';
import { defaultHome } from '@symphony/config';
import { isSymphonyError, toSymphonyError } from '@symphony/types';
import { evalCommand } from './commands/eval.js';
import { TRAIN_DEFAULTS, trainCommand } from './commands/train.js';
import { c } from './term.js';
import { publishPolicy } from './commands/publish.js';
import { replayCommand } from './commands/replay.js';

const USAGE = `symphony <command>

  run <workflow.yaml> [--input k=v]... [--resume <runId>] [--json] [--home dir]
  runs list | show <runId> | explain <runId>      [--json] [--home dir]
  artifacts list | get <name[@version]> [--out file]  [--json] [--home dir]
  train [--episodes N] [--seed S] [--out dir] [--json] [--home dir]   (stores conductor-policy@production)
  train --replay [--home dir]    fine-tune on decision traces curated by pit.stale (offline)
  eval [--quests N] [--model file.onnx] [--json]
  ext <create|dev|test|pack|publish|keys|install|update|uninstall|list|outdated|search|audit> ...
  serve [--host 127.0.0.1] [--port 7777] [--workflow file|dir]... [--home dir]   the HTTP + WebSocket API and the web UI
  tokens create --scope <read|run|admin> [--name n] [--ttl-days d] | list | revoke <id>   [--home dir]

The home (ledger, tokens, grants, audit log, installed extensions) is --home, else $SYMPHONY_HOME,
else $XDG_DATA_HOME/symphony, else ~/.local/share/symphony: never inside the workspace.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Commands with flags of their own take the raw arguments.
  if (command === 'tokens') return (await import('./commands/serve.js')).tokensCliCommand(rest);
  if (command === 'ext') return (await import('./commands/ext.js')).extCommand(rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      input: { type: 'string', multiple: true, short: 'i' },
      resume: { type: 'string' },
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
  if (!command || command === 'help' || command === '--help' || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'train':
      if (values.replay) return replayCommand({ home: defaultHome({ flag: values.home }), json: values.json ?? false, epochs: int(values.episodes, 5, '--episodes') });
      return trainCommand(
        {
          episodes: int(values.episodes, TRAIN_DEFAULTS.episodes, '--episodes'),
          seed: int(values.seed, TRAIN_DEFAULTS.seed, '--seed'),
          out: values.out ?? TRAIN_DEFAULTS.out,
          json: values.json ?? false,
        },
        (bytes, metadata) => publishPolicy(defaultHome({ flag: values.home }), bytes, metadata),
      );
    case 'serve':
      return (await import('./commands/serve.js')).serveCommand(values);
    case 'eval':
      return evalCommand({ quests: int(values.quests, 200, '--quests'), json: values.json ?? false, ...(values.model ? { model: values.model } : {}) });
    default: {
      const { runCli } = await import('./commands/run-commands.js');
      return runCli(command, positionals, values);
    }
  }
}

function int(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw toSymphonyError(new Error(`${flag} must be a non-negative integer, not "${value}"`), 'E_INPUT_INVALID');
  return n;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = toSymphonyError(err);
    process.stderr.write(`${c.red('✖')} ${e.message}${isSymphonyError(err) ? ` ${c.dim(`[${e.code}]`)}` : ''}\n`);
    if (process.env.SYMPHONY_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  },
);
