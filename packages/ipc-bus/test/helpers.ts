import { fileURLToPath } from 'node:url';
import type { Logger } from '@symphony/types';
import { Supervisor, type IsolationMode, type SupervisorOptions } from '../src/index.js';

export const FAULTY = fileURLToPath(new URL('./fixtures/faulty.mjs', import.meta.url));

/** A logger that keeps every line, to check what reached the host's logs. */
export function memoryLogger(lines: Array<{ level: string; obj: any; msg?: string }> = []): Logger & { lines: typeof lines } {
  const make = (bindings: Record<string, unknown>): Logger => ({
    trace: (obj, msg) => lines.push({ level: 'trace', obj: { ...bindings, ...(obj as object) }, msg }),
    debug: (obj, msg) => lines.push({ level: 'debug', obj: { ...bindings, ...(obj as object) }, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj: { ...bindings, ...(obj as object) }, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj: { ...bindings, ...(obj as object) }, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj: { ...bindings, ...(obj as object) }, msg }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return Object.assign(make({}), { lines });
}

export function faulty(mode: IsolationMode, options: Partial<SupervisorOptions> = {}, id = `test.${mode}`): Supervisor {
  return new Supervisor({
    restart: { backoffMs: 10, maxBackoffMs: 50, ...options.restart },
    pingIntervalMs: 0,
    pingTimeoutMs: 300,
    graceMs: 500,
    ...options,
    spec: { id, mode, entry: FAULTY, env: { ...process.env, MAX_PAYLOAD: '100000' }, ...options.spec },
  } as SupervisorOptions);
}

export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? `uncoded: ${(error as Error).message}`;
  }
}
