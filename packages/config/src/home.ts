import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where the Symphony home (ledger, tokens, grants, audit log, installed extensions) lives when
 * nobody says: the platform's data directory, never the current folder, so `symphony run` in a
 * project never puts the home inside the workspace its extensions may be granted.
 * Order: an explicit `--home`, then `SYMPHONY_HOME`, then `$XDG_DATA_HOME/symphony`, then
 * `~/.local/share/symphony` (Linux and others), `~/Library/Application Support/symphony` (macOS)
 * or `%LOCALAPPDATA%\symphony` (Windows).
 */
export function defaultHome(options: { flag?: string; env?: Record<string, string | undefined>; platform?: NodeJS.Platform; userHome?: string; cwd?: string } = {}): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.flag) return resolve(cwd, options.flag);
  if (env.SYMPHONY_HOME) return resolve(cwd, env.SYMPHONY_HOME);
  if (env.XDG_DATA_HOME) return join(resolve(env.XDG_DATA_HOME), 'symphony');
  const user = options.userHome ?? homedir();
  const platform = options.platform ?? process.platform;
  if (platform === 'darwin') return join(user, 'Library', 'Application Support', 'symphony');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(user, 'AppData', 'Local'), 'symphony');
  return join(user, '.local', 'share', 'symphony');
}
