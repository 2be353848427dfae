import type { ArtifactsService, LedgerService, Logger, SymphonyEvents } from '@symphony/types';
import type { HistoryBook } from './history.js';
import type { PolicyManager } from './model-manager.js';
import type { Candidate } from './ports.js';
import type { DecisionRecord, RunStore } from './run-store.js';

/** What a run needs from the Conductor around it (one object, shared by every run). */
export interface ConductorEnv {
  store: RunStore;
  ledger: LedgerService<unknown, unknown>;
  artifacts: ArtifactsService;
  events: { emit<K extends keyof SymphonyEvents & string>(event: K, ...args: SymphonyEvents[K]): unknown };
  policy: PolicyManager;
  history: HistoryBook;
  inFlight: Map<string, number>;
  concurrency: number;
  logger: Logger;
  candidatesFor(capability: string, stepId: string): Promise<Candidate[]>;
  invoke(uses: string, input: unknown, ctx: InvokeContext): Promise<unknown>;
  withSlot<T>(runId: string, stepId: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T>;
  nextDecisionSeq(runId: string): number;
  observeDecision(ms: number, decisions: number): void;
  recordTrace(records: readonly DecisionRecord[]): void;
  saveHistory(): Promise<void>;
}

export interface InvokeContext {
  runId: string;
  stepId: string;
  attempt: number;
  signal: AbortSignal;
  timeoutMs?: number | undefined;
}
