import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { SymphonyError, toSymphonyError } from '@symphony/types';
import { CONFIG_FILES, loadConfig, type LoadConfigOptions } from './load.js';
import type { SymphonyConfig } from './schema.js';

export interface WatchConfigOptions extends LoadConfigOptions {
  /** Quiet time after the last file event before re-reading (editors write in bursts). Default 50. */
  debounceMs?: number;
  onChange?: (config: SymphonyConfig, previous: SymphonyConfig) => void;
  /** An invalid edit: the last good config stays in force. */
  onError?: (error: SymphonyError) => void;
}

export interface ConfigWatcher {
  /** The last good config. */
  readonly current: SymphonyConfig;
  /** The error of the last reload, cleared by the next good one. */
  readonly lastError: SymphonyError | undefined;
  on(event: 'change', listener: (config: SymphonyConfig, previous: SymphonyConfig) => void): () => void;
  on(event: 'error', listener: (error: SymphonyError) => void): () => void;
  /** Re-reads now; resolves to the config in force afterwards (the last good one on error). */
  reload(): Promise<SymphonyConfig>;
  close(): void;
}

/**
 * Loads the config (an invalid one throws, as `loadConfig` does) and re-validates on every change
 * of the config file, or of a `symphony.config.*` appearing in `cwd` for a zero-config start.
 * A change that fails to parse or validate is reported and the last good config stays in force.
 * The environment is read once, at start.
 */
export async function watchConfig(options: WatchConfigOptions = {}): Promise<ConfigWatcher> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const loadOptions: LoadConfigOptions = { ...options, cwd, env: { ...(options.env ?? process.env) } };
  let current = await loadConfig(loadOptions);
  let lastError: SymphonyError | undefined;
  const changeListeners = new Set<(config: SymphonyConfig, previous: SymphonyConfig) => void>();
  const errorListeners = new Set<(error: SymphonyError) => void>();
  if (options.onChange) changeListeners.add(options.onChange);
  if (options.onError) errorListeners.add(options.onError);

  // Watch the folder, not the file: editors replace files by rename, which ends a file watch.
  const dir = current.configFile ? dirname(current.configFile) : cwd;
  const names = new Set<string>(current.configFile ? [basename(current.configFile)] : CONFIG_FILES);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SymphonyConfig> | undefined;
  let again = false;
  let closed = false;

  function report(error: SymphonyError): void {
    lastError = error;
    for (const listener of errorListeners) safely(() => listener(error));
  }

  async function reloadOnce(): Promise<SymphonyConfig> {
    try {
      const next = await loadConfig(loadOptions);
      lastError = undefined;
      if (!closed && JSON.stringify(next) !== JSON.stringify(current)) {
        const previous = current;
        current = next;
        for (const listener of changeListeners) safely(() => listener(next, previous));
      }
    } catch (err) {
      if (!closed) report(toSymphonyError(err, 'E_CONFIG_INVALID'));
    }
    return current;
  }

  // One reload at a time; events during a reload schedule exactly one more.
  function reload(): Promise<SymphonyConfig> {
    if (running) {
      again = true;
      return running;
    }
    running = reloadOnce().finally(() => {
      running = undefined;
      if (again && !closed) {
        again = false;
        void reload();
      }
    });
    return running;
  }

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (closed || (filename !== null && !names.has(filename.toString()))) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), options.debounceMs ?? 50);
      timer.unref();
    });
    watcher.on('error', (cause) =>
      report(new SymphonyError('E_CONFIG_WATCH', `watching ${dir} failed: ${cause.message}; the config in force stays`, { details: { path: dir }, cause })),
    );
  } catch (cause) {
    throw new SymphonyError('E_CONFIG_WATCH', `cannot watch ${dir}: ${(cause as Error).message}`, { details: { path: dir }, cause });
  }

  return {
    get current() {
      return current;
    },
    get lastError() {
      return lastError;
    },
    on(event: 'change' | 'error', listener: (...args: never[]) => void) {
      const set = (event === 'change' ? changeListeners : errorListeners) as Set<typeof listener>;
      set.add(listener);
      return () => void set.delete(listener);
    },
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
    },
  } as ConfigWatcher;
}

// A listener that throws must not stop the watcher or reach the event loop.
function safely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    process.emitWarning(`a symphony config listener threw: ${(err as Error)?.message ?? String(err)}`, 'SymphonyConfigWarning');
  }
}
