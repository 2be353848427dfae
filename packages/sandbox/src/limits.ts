import { readdirSync, readFileSync } from 'node:fs';
import { SymphonyError } from '@symphony/types';

/** What one extension may consume. Every field has a default (see `DEFAULT_LIMITS`). */
export interface ResourceLimits {
  /** V8 heap limit (`--max-old-space-size` / worker `maxOldGenerationSizeMb`). */
  memoryMb: number;
  /**
   * Wall time per call: the bus's timeout (the caller gets `E_TIMEOUT`, the handler is cancelled).
   * A handler that ignores the cancellation and still runs `CANCEL_GRACE_MS` later is killed.
   */
  wallTimeMs: number;
  /** CPU time per call; past it the process is killed (and restarted by the bus). */
  cpuMs: number;
  /** Largest payload in either direction. */
  maxPayloadBytes: number;
  /** Calls in flight at once; more wait. */
  maxConcurrentCalls: number;
  /** Open file descriptors (RLIMIT_NOFILE through `prlimit`, where available). */
  maxOpenFiles: number;
  /**
   * Bytes of stdout + stderr per second (over a one-second window, with `4×` this as the burst
   * allowed in any one window); past it the process is killed with `E_RESOURCE_LIMIT`.
   */
  maxOutputBytesPerSecond: number;
  /** Longest stdout/stderr line kept; a longer one is truncated and audited (once per stream per start). */
  maxOutputLineBytes: number;
}

/** How long a cancelled handler may take to stop before its process is killed. */
export const CANCEL_GRACE_MS = 1_000;

export const DEFAULT_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  memoryMb: 256,
  wallTimeMs: 30_000,
  cpuMs: 20_000,
  maxPayloadBytes: 16 * 1024 * 1024,
  maxConcurrentCalls: 16,
  maxOpenFiles: 256,
  maxOutputBytesPerSecond: 1024 * 1024,
  maxOutputLineBytes: 8 * 1024,
});

/** Fills defaults and refuses nonsense (zero, negative, non-integer) with the field named. */
export function resolveLimits(partial: Partial<ResourceLimits> = {}): ResourceLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new SymphonyError('E_CONFIG_INVALID', `Resource limit ${key} must be a positive integer (got ${String(value)}).`, { details: { path: `limits.${key}`, value } });
    }
  }
  return limits;
}

/** `prlimit` arguments that set the open-file limit of the program after them. */
export function prlimitArgs(limits: Pick<ResourceLimits, 'maxOpenFiles'>): string[] {
  return [`--nofile=${limits.maxOpenFiles}:${limits.maxOpenFiles}`, '--'];
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux, fixed by the kernel ABI for /proc

/**
 * CPU time (user + system, ms) used so far by a process and all its live descendants, from
 * /proc; undefined when the process is gone or /proc is not there.
 */
export function processTreeCpuMs(pid: number): number | undefined {
  const own = readCpu(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const child of childrenOf(pid)) total += processTreeCpuMs(child) ?? 0;
  return total;
}

function readCpu(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(' ').map(Number));
    }
  } catch {
    // gone, or no permission: count what we could read
  }
  return out;
}

export interface CpuWatchdog {
  /** Starts the clock for one call. */
  begin(callId: string): void;
  end(callId: string): void;
  stop(): void;
}

/**
 * Samples the process tree's CPU on a timer while calls are in flight (never on the call path:
 * reading /proc costs more than a whole bus round trip). Each call's baseline is the first
 * sample after it began, so a call is charged the CPU used from then on; past `budgetMs`
 * `onOverrun` fires once (the caller kills the process, which fails the call and makes the bus
 * restart it). With several calls in flight each is charged all the CPU the process used, and
 * calls shorter than one sampling interval are never charged: a budget, not an accounting.
 */
export function createCpuWatchdog(options: {
  pid: number;
  budgetMs: number;
  intervalMs?: number;
  onOverrun: (callId: string, usedMs: number) => void;
  /** A wall-time ceiling per call, checked on the same ticks. */
  wallBudgetMs?: number;
  onWallOverrun?: (callId: string, elapsedMs: number) => void;
}): CpuWatchdog {
  const baselines = new Map<string, { cpu: number | undefined; startedAt: number }>();
  const shortest = Math.min(options.budgetMs, options.wallBudgetMs ?? Infinity);
  const intervalMs = options.intervalMs ?? Math.max(10, Math.min(250, Math.floor(shortest / 4)));
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (baselines.size === 0) return pause();
    const now = processTreeCpuMs(options.pid);
    if (now === undefined) return stop();
    const wallNow = performance.now();
    for (const [callId, call] of baselines) {
      const elapsed = wallNow - call.startedAt;
      if (options.wallBudgetMs !== undefined && elapsed > options.wallBudgetMs) {
        baselines.delete(callId);
        options.onWallOverrun?.(callId, elapsed);
        continue;
      }
      if (call.cpu === undefined) {
        call.cpu = now;
        continue;
      }
      const used = now - call.cpu;
      if (used > options.budgetMs) {
        baselines.delete(callId);
        options.onOverrun(callId, used);
      }
    }
  };
  const pause = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const stop = (): void => {
    pause();
    baselines.clear();
  };
  return {
    begin(callId) {
      baselines.set(callId, { cpu: undefined, startedAt: performance.now() });
      if (!timer) {
        timer = setInterval(tick, intervalMs);
        timer.unref();
      }
    },
    end(callId) {
      // The timer stops itself at its next tick when nothing is in flight: cheaper than
      // clearing and re-arming it around every short call.
      baselines.delete(callId);
    },
    stop,
  };
}
