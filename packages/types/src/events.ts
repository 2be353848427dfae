import type { ArtifactRef } from './refs.js';
import type { SymphonyErrorJSON } from './errors.js';
import type { HealthReport } from './refs.js';

/** Events every workflow run emits, in this order per step: ready, start, (retry)*, end | fail. */
export interface RunEvents {
  'run:start': [{ runId: string; workflow: string; at: number; resumed: boolean }];
  'step:ready': [{ runId: string; stepId: string; at: number }];
  'step:start': [{ runId: string; stepId: string; attempt: number; at: number }];
  'step:progress': [{ runId: string; stepId: string; fraction: number; message?: string; at: number }];
  'step:retry': [{ runId: string; stepId: string; attempt: number; delayMs: number; error: SymphonyErrorJSON; at: number }];
  /** `skipped`: its `if:` was false; `reusedFrom`: a re-run carried its result over from that run (attempt 0: it did not run). */
  'step:end': [{ runId: string; stepId: string; attempt: number; output?: ArtifactRef; skipped?: boolean; reusedFrom?: string; durationMs: number; at: number }];
  'step:fail': [{ runId: string; stepId: string; attempt: number; error: SymphonyErrorJSON; durationMs: number; at: number }];
  /**
   * A line an extension wrote during a step's attempt: `ctx.log` (stream `log`, with its level),
   * stdout or stderr. Bounded per attempt; past the bound one line with `truncated: true` marks the
   * cut and the rest are dropped. `ambiguous`: written while other calls ran in the same instance.
   */
  'step:log': [StepLogEvent];
  'run:end': [{ runId: string; status: 'succeeded' | 'failed' | 'cancelled'; durationMs: number; at: number }];
}

/** The payload of `step:log`. */
export interface StepLogEvent {
  runId: string;
  stepId: string;
  attempt: number;
  stream: 'log' | 'stdout' | 'stderr';
  level?: 'debug' | 'info' | 'warn' | 'error';
  line: string;
  ambiguous?: boolean;
  /** The marker after the last kept line: this attempt wrote more than the bound. */
  truncated?: boolean;
  at: number;
}

/** Events the kernel itself emits about its plugins. */
export interface KernelLifecycleEvents {
  'plugin:setup': [{ name: string; version: string; durationMs: number }];
  'plugin:start': [{ name: string; durationMs: number }];
  'plugin:stop': [{ name: string; durationMs: number; error?: SymphonyErrorJSON }];
  'kernel:started': [{ plugins: string[]; durationMs: number }];
  'kernel:stopped': [{ durationMs: number }];
  'kernel:health': [{ status: HealthReport['status'] }];
}

/** The kernel's event map. Packages extend it by declaration merging on `SymphonyEvents`. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SymphonyEvents extends KernelLifecycleEvents, RunEvents {}

export type EventName = keyof SymphonyEvents & string;
