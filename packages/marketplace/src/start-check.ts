import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExtensionHost } from '@symphony/extension-loader';
import { createSandbox } from '@symphony/sandbox';
import { SymphonyError, isSymphonyError } from '@symphony/types';

export interface StartCandidate {
  id: string;
  version: string;
  /** The installed folder (through the live `extensions` link). */
  dir: string;
  main?: string;
}

export interface SandboxedStartCheckOptions {
  /** The Symphony home: its grants apply and its audit log records what the check's process tried. */
  home: string;
  /**
   * `${workspace}` during the check. Default: a fresh empty folder, so an extension's top level
   * sees no real project at install time (its grants are the same, the folder they name is empty).
   */
  workspace?: string;
  /** As the sandbox's option: `auto` (default), `off` (degraded), `require`. */
  bubblewrap?: 'auto' | 'off' | 'require';
  /** Per extension start (default 15 s). */
  timeoutMs?: number;
}

/**
 * The default check after an install or update: each changed extension is started exactly as a
 * real start does it: a child process built by the sandbox from the home's grants (bubblewrap,
 * Node's permission model, filtered environment, resource limits), through the Stage's own host
 * and the SDK runtime entry, which refuses a module exporting no `define*()` definition. No line
 * of the extension ever runs in an unconfined process, not even its module's top level.
 */
export function sandboxedStartCheck(options: SandboxedStartCheckOptions): (candidates: StartCandidate[]) => Promise<void> {
  return async (candidates) => {
    const withCode = candidates.filter((c) => c.main);
    if (withCode.length === 0) return; // a motif without code has nothing to start
    const scratch = options.workspace ? undefined : await mkdtemp(join(tmpdir(), 'symphony-start-check-'));
    const sandbox = createSandbox({ home: options.home, workspace: options.workspace ?? (scratch as string), ...(options.bubblewrap ? { bubblewrap: options.bubblewrap } : {}) });
    const host = new ExtensionHost({
      dirs: [{ path: join(options.home, 'extensions'), mode: 'process' }],
      isolation: () => 'process',
      spawnWrapper: (command, spec) => sandbox.spawnWrapper(command, spec),
      wrapLauncher: (launcher) => sandbox.wrapLauncher(launcher),
      limitsFor: (manifest, dir) => {
        if (!sandbox.get(manifest.id)) sandbox.register({ id: manifest.id, version: manifest.version, ...(dir ? { dir } : {}), ...(manifest.permissions ? { permissions: manifest.permissions } : {}) });
        return sandbox.callLimits(manifest.id);
      },
    });
    try {
      await host.load();
      for (const candidate of withCode) {
        try {
          await withTimeout(host.activate(candidate.id), options.timeoutMs ?? 15_000, candidate);
        } catch (error) {
          throw startFailed(candidate, error);
        }
      }
    } finally {
      await host.stop().catch(() => undefined);
      sandbox.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  };
}

function startFailed(candidate: StartCandidate, error: unknown): SymphonyError {
  const message = isSymphonyError(error) ? error.message : String(error);
  // The host's message ends with the child's last stderr lines; the error line says most.
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  const reason = lines.find((l) => /^[A-Za-z]*Error\b|^E_[A-Z_]+/.test(l)) ?? lines[0] ?? 'unknown reason';
  const code = isSymphonyError(error) ? error.code : undefined;
  return new SymphonyError('E_EXTENSION_START_FAILED', `${candidate.id}@${candidate.version} failed to start in its sandbox: ${reason}`, {
    details: { id: candidate.id, version: candidate.version, ...(candidate.main ? { main: candidate.main } : {}), ...(code ? { cause: code } : {}) },
    cause: error,
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, candidate: StartCandidate): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SymphonyError('E_TIMEOUT', `${candidate.id} did not start within ${ms} ms`, { details: { id: candidate.id, timeoutMs: ms } })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
