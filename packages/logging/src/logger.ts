import { mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DestinationStream, Level, Logger as PinoLogger, StreamEntry, pino as pinoFunction } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import { SymphonyError, type Logger } from '@symphony/types/core';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface FileExporterOptions {
  /** JSON lines are appended here; missing folders are created. */
  path: string;
  /** Default: the logger's level. */
  level?: LogLevel;
}

export interface LoggingOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Bound to every line as `name`. */
  name?: string;
  /** Human-readable lines instead of JSON; by default only when the destination is a TTY. */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  destination?: NodeJS.WritableStream;
  /** Also write JSON lines to a file (a path, or path + level). */
  file?: string | FileExporterOptions;
  /** Fields bound to every line. */
  base?: Record<string, unknown>;
  /** Paths whose values are replaced by `[redacted]`, e.g. `['req.headers.authorization']`. */
  redact?: string[];
}

/** A pino logger; it fits `Logger` from `@symphony/types` as is. */
export type SymphonyLogger = PinoLogger;

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

// File exporters by the logger's stream object, which pino children share with their parent.
const owned = new WeakMap<object, { flush(): void; close(): void }>();
// Open file exporters, flushed synchronously at process exit so the last lines are not lost.
const openFiles = new Set<{ flushSync(): void }>();
let exitHook = false;

/**
 * A structured logger on pino: JSON lines, or pretty lines on a TTY, plus an optional file
 * exporter. Hand it to `createKernel({ logger })`; the kernel gives each plugin a child.
 * `createLogger(config.logging)` takes `@symphony/config`'s logging section as is.
 */
/**
 * pino-pretty (and its dependencies) is loaded only when a logger prints to a terminal: a process
 * whose logs go to a pipe or a file (CLI commands in scripts, servers, tests) never pays for it.
 */
function loadPretty(): typeof PinoPretty {
  const mod = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty | { default: typeof PinoPretty };
  return typeof mod === 'function' ? mod : mod.default;
}

/** pino (CommonJS) loads with the first logger created, not with this package. */
let loadedPino: typeof pinoFunction | undefined;
function loadPino(): typeof pinoFunction {
  return (loadedPino ??= (createRequire(import.meta.url)('pino') as { pino: typeof pinoFunction }).pino);
}

export function createLogger(options: LoggingOptions = {}): SymphonyLogger {
  const pino = loadPino();
  const level = checkLevel(options.level ?? 'info', 'level');
  const destination = options.destination ?? process.stdout;
  const isTTY = (destination as NodeJS.WriteStream).isTTY === true;
  // Human lines on a terminal, JSON otherwise; SYMPHONY_LOG_JSON=1 (the CLI's --log-json) forces JSON.
  const usePretty = options.pretty ?? (isTTY && !process.env.SYMPHONY_LOG_JSON);

  const console: DestinationStream = usePretty
    ? loadPretty()({ destination, sync: true, colorize: isTTY && !process.env.NO_COLOR, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
    : (destination as DestinationStream);

  const streams: StreamEntry<Level>[] = [];
  if (level !== 'silent') streams.push({ level: level as Level, stream: console });

  let file: ReturnType<typeof openFile> | undefined;
  if (options.file !== undefined) {
    const spec = typeof options.file === 'string' ? { path: options.file } : options.file;
    const fileLevel = checkLevel(spec.level ?? level, 'file.level');
    file = openFile(spec.path);
    if (fileLevel !== 'silent') streams.push({ level: fileLevel as Level, stream: file.stream });
  }

  // The logger's own level is the lowest any stream wants; each stream filters for itself.
  const lowest = streams.reduce<LogLevel>((min, s) => (RANK[s.level as LogLevel] < RANK[min] ? (s.level as LogLevel) : min), 'silent');
  const multi = pino.multistream(streams);
  const logger = pino(
    {
      level: lowest,
      ...(options.name ? { name: options.name } : {}),
      ...(options.base ? { base: options.base } : {}),
      ...(options.redact ? { redact: { paths: options.redact, censor: '[redacted]' } } : {}),
    },
    multi,
  );
  owned.set(multi, {
    flush() {
      file?.flush();
    },
    close() {
      return file?.close();
    },
  });
  return logger;
}

function openFile(path: string) {
  const target = resolve(path);
  let fd: number;
  try {
    mkdirSync(dirname(target), { recursive: true });
    fd = openSync(target, 'a');
  } catch (cause) {
    throw new SymphonyError('E_LOG_FILE', `cannot open log file ${target}: ${(cause as Error).message}`, { details: { path: target }, cause });
  }
  // Asynchronous writes: a log call never waits on the disk. `closeLogger` flushes.
  const stream = loadPino().destination({ dest: fd, sync: false });
  openFiles.add(stream);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => openFiles.forEach((s) => s.flushSync()));
  }
  stream.on('error', (err: Error) => process.stderr.write(`symphony logging: writing ${target} failed: ${err.message}\n`));
  let closed = false;
  // sonic-boom's flushSync while an asynchronous write is in flight writes the later lines first,
  // so flushing here is asynchronous (it waits for the write in flight); only process exit, which
  // cannot wait, flushes synchronously.
  const flushed = () => new Promise<void>((done) => stream.flush((err) => (err ? process.stderr.write(`symphony logging: flushing ${target} failed: ${err.message}\n`) : undefined, done())));
  return {
    stream,
    flush(): void {
      if (!closed) stream.flush();
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      openFiles.delete(stream);
      await flushed();
      await new Promise<void>((done) => {
        stream.once('close', done);
        stream.end(); // closes the fd too
      });
    },
  };
}

function checkLevel(level: unknown, field: string): LogLevel {
  if (typeof level === 'string' && (LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new SymphonyError('E_INPUT_INVALID', `logging ${field} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`, {
    details: { field, value: level },
  });
}

/** Starts writing out everything buffered for the file exporter, in order (a child logger flushes its root's). */
export function flushLogger(logger: SymphonyLogger): void {
  exportersOf(logger)?.flush();
}

/** Flushes and closes the file exporter; pass the logger or any of its children. */
export async function closeLogger(logger: SymphonyLogger): Promise<void> {
  await exportersOf(logger)?.close();
}

function exportersOf(logger: SymphonyLogger) {
  return owned.get((logger as unknown as Record<symbol, object>)[loadPino().symbols.streamSym] as object);
}

/** A child logger for one kernel plugin: every line carries `plugin`. */
export function pluginLogger(logger: SymphonyLogger, name: string): SymphonyLogger {
  return logger.child({ plugin: name });
}

/** A child logger for one Stage extension: every line carries `extension` (and `version`). */
export function extensionLogger(logger: SymphonyLogger, id: string, version?: string): SymphonyLogger {
  return logger.child(version === undefined ? { extension: id } : { extension: id, version });
}

const METHODS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/**
 * A `Logger` whose pino logger (`createLogger(options)`) is created at the first line at or above
 * its level: a short command that logs nothing (`symphony runs list`) never loads pino, and a line
 * below the level costs a comparison. The level is checked at once (`E_INPUT_INVALID`). With a
 * `file` the logger is created at once: a file that cannot be opened fails here (`E_LOG_FILE`),
 * never inside some later log call.
 */
export function createLazyLogger(options: LoggingOptions = {}): Logger {
  if (options.file !== undefined) return createLogger(options);
  const level = checkLevel(options.level ?? 'info', 'level');
  return deferred(RANK[level], () => createLogger(options));
}

function deferred(lowest: number, make: () => Logger): Logger {
  let real: Logger | undefined;
  const get = (): Logger => (real ??= make());
  const logger = { child: (bindings: Record<string, unknown>) => deferred(lowest, () => get().child(bindings)) } as Logger;
  for (const method of METHODS) {
    logger[method] = RANK[method] < lowest ? noop : (...args: [unknown, string?]) => get()[method](...args);
  }
  return logger;
}

function noop(): void {}
