import { readFileSync } from 'node:fs';

/** `symphony worker --help` (also printed by the worker itself). */
export const WORKER_USAGE = `symphony worker --redis <redis://[user:password@]host:port> [--concurrency N] [--extensions id,id...]
                 [--extension-dir dir]... [--lock-ms N] [--limit jobs/ms] [--secret-file file] [--tls] [--home dir]

Runs the steps a scale-out coordinator dispatches through BullMQ on Redis, with this machine's
Stage (installed extensions under the home, sandboxed as in a local run). The shared secret that
signs jobs comes from --secret-file or $SYMPHONY_SCALE_OUT_SECRET (never the command line);
--redis defaults to $SYMPHONY_REDIS_URL; ACL user and password go in the URL or in
$SYMPHONY_REDIS_USERNAME / $SYMPHONY_REDIS_PASSWORD. $SYMPHONY_POOL_MB gives this machine's
instruments a pool of instances under that memory budget. SIGTERM finishes running steps and stops. --limit caps each queue's rate across all its
workers (BullMQ's limiter); --lock-ms is how long a silent worker keeps a job before it is
re-delivered (default 30000).`;

/** Per-command help, printed by `symphony <command> --help` (or `-h`). Loaded without any command. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  run: `symphony run <workflow.yaml> [options]

  Runs a workflow to completion, printing each step's progress.

  -i, --input <k=v>    a workflow input (repeatable)
  --resume <runId>     continue an interrupted run; finished steps are not run again
  --rerun <runId>      run an ended run again (a new run, same workflow and inputs)
  --from <what>        with --rerun: failed (default: the steps that did not succeed and
                       what follows; the others' results are carried over), all, or a step id
  --json               one JSON line per event on stdout
  --home <dir>         the store (default $SYMPHONY_HOME, else $XDG_DATA_HOME/symphony,
                       else ~/.local/share/symphony)

  $SYMPHONY_POOL_MB=<MiB>  serve instruments from pit.pool instances under this memory budget,
                       pre-warmed along the run's critical path`,
  runs: `symphony runs <list | show <runId> | explain <runId>> [options]

  list                 recent runs
  show <runId>         one run's steps, states and outputs
  explain <runId>      the Conductor's decisions in that run
  --json               machine-readable output
  --home <dir>         the store (default $SYMPHONY_HOME, else $XDG_DATA_HOME/symphony,
                       else ~/.local/share/symphony)`,
  artifacts: `symphony artifacts <list | get <name[@version]>> [options]

  list                 artifact names and versions
  get <name[@version]> one artifact's value
  -o, --out <file>     write the value to a file
  --json               machine-readable output
  --home <dir>         the store (default $SYMPHONY_HOME, else $XDG_DATA_HOME/symphony,
                       else ~/.local/share/symphony)`,
  serve: `symphony serve [options]

  The HTTP + WebSocket API and the web UI.

  --host <addr>        listen address (default 127.0.0.1)
  --port <n>           port (default 7777)
  --workflow <path>    a workflow file or folder to offer (repeatable)
  --home <dir>         the store (default $SYMPHONY_HOME, else $XDG_DATA_HOME/symphony,
                       else ~/.local/share/symphony)
  --log-json           JSON log lines even on a terminal`,
  tokens: `symphony tokens <create | list | revoke <id>> [options]

  API tokens for \`symphony serve\` (needed to bind beyond loopback), in <home>/tokens.json.

  create               a new token, printed once
    --scope <s>[,...]  read, run or admin (required)
    --name <name>      a label (default "token")
    --ttl-days <n>     expires after n days (default never)
  list                 id, name, scopes, creation and expiry of each token
  revoke <id>          revoke one token by its id
  --home <dir>         the home (default $SYMPHONY_HOME, else $XDG_DATA_HOME/symphony,
                       else ~/.local/share/symphony)`,
  worker: WORKER_USAGE,
  desktop: `symphony desktop [options]

  Symphony in an app window: the server on a free loopback port, the web UI in an installed
  Chromium-family browser (--app, own profile; SYMPHONY_BROWSER picks one), else the default
  browser; logged in by a one-time code. Finished runs show an OS notification.

  --open <symphony://…>  show this run or page (in the running app if there is one)
  --register             make symphony:// links open Symphony (Linux: a .desktop entry)
  --workflow <path>      a workflow file or folder to offer (repeatable)
  --browser-arg <flag>   an extra browser flag (repeatable), e.g. --browser-arg=--no-sandbox
  --home <dir>           the store`,
};

/** This CLI's version, from its package.json (dist/cli.js → ../package.json). */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/** Node's parseArgs errors (unknown option, missing value) are usage errors: exit 2. */
export function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS_') || code === 'E_USAGE');
}
