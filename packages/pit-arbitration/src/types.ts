import type { Logger } from '@symphony/types';

/**
 * - `priority`: strict priority with aging (effective priority grows while waiting: no starvation)
 *   and preemption of lower-priority holders that declared themselves preemptible.
 * - `fair-share`: the tenant with the lowest weighted share of the requested resources goes first.
 * - `drf`: Dominant Resource Fairness (Ghodsi et al. 2011), weighted: lowest dominant share / weight first.
 * - `fcfs`: first come, first served.
 */
export type Strategy = 'priority' | 'fair-share' | 'drf' | 'fcfs';

export interface ResourceSpec {
  /** `cpu`, `memory`, `gpu-memory`, `model:clf`, `git:repo-x`, `file:/a/b`... */
  id: string;
  capacity: number;
  /** Resources of one class share a strategy; one request stays within one class. Default `default`. */
  class?: string;
  /** An exclusive lock (capacity 1): takes part in deadlock detection / ordered acquisition. */
  exclusive?: boolean;
}

export interface ArbiterOptions {
  resources?: ResourceSpec[];
  /** Strategy per resource class. */
  strategies?: Record<string, Strategy>;
  /** For classes not listed. Default `fcfs`. */
  defaultStrategy?: Strategy;
  /** Effective priority gained per decision spent waiting (priority strategy). Default 0.1. */
  agingRate?: number;
  /** `detect`: wait-for cycle → the youngest request fails with E_DEADLOCK (default). `order`: exclusive resources must be taken in id order. */
  deadlock?: 'detect' | 'order' | 'off';
  tenants?: Record<string, { weight?: number }>;
  /** Recent decisions kept for `decisions()`. Default 1 024. */
  decisionLog?: number;
  /** Share samples kept for `history()`. Default 600. */
  historySize?: number;
  now?: () => number;
  logger?: Logger;
  /** The kernel's event bus (the plugin passes `ctx.events`): decisions go there as `arbitration:decision`. */
  events?: { listenerCount(event: string): number; emit(event: 'arbitration:decision', decision: Decision): unknown };
}

export interface ResourceRequest {
  tenant: string;
  /** The run (or other holder) on whose behalf: the unit of deadlock detection. Default: the tenant. */
  run?: string;
  /** Higher first (priority strategy). Default 0. */
  priority?: number;
  /** Sets the tenant's weight (fair-share and DRF). */
  weight?: number;
  /** Resource id → amount. */
  amounts: Record<string, number>;
  /** The holder accepts being preempted by a strictly higher priority; `onPreempt` is told. */
  preemptible?: boolean;
  onPreempt?: (grant: Grant) => void;
  /** A name for decision records. Default `${tenant}#${seq}`. */
  id?: string;
}

export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface Grant {
  readonly id: number;
  readonly requestId: string;
  readonly tenant: string;
  readonly holder: string;
  readonly priority: number;
  readonly amounts: Readonly<Record<string, number>>;
  readonly preemptible: boolean;
  /** True once released or preempted. */
  readonly released: boolean;
  readonly preempted: boolean;
}

export type DecisionAction = 'grant' | 'queue' | 'refuse' | 'preempt' | 'timeout' | 'abort';
export type DecisionRule = 'free-capacity' | Strategy | 'preemption' | 'deadlock' | 'lock-order' | 'wait-limit';

/** Why something happened: which rule, and the tenant's dominant share after it. */
export interface Decision {
  seq: number;
  action: DecisionAction;
  rule: DecisionRule;
  requestId: string;
  tenant: string;
  /** The tenant's dominant share (max over resources of held / capacity) after the decision. */
  share: number;
  detail?: string;
}

export interface TenantMetrics {
  weight: number;
  dominantShare: number;
  /** dominantShare / weight: what weighted fairness equalises. */
  weightedShare: number;
  held: Record<string, number>;
  pending: number;
}

export interface ArbiterMetrics {
  tenants: Record<string, TenantMetrics>;
  /** Jain's index over weighted dominant shares of tenants that hold or want something (1 = fair). */
  jain: number;
  /** Jain's index over raw dominant shares. */
  jainRaw: number;
  decisions: Record<DecisionAction, number>;
  byRule: Partial<Record<DecisionRule, number>>;
  pending: number;
}

export interface ShareSample {
  at: number;
  shares: Record<string, number>;
  jain: number;
}
