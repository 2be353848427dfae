import type { DecisionReason } from './explore.js';
import type { DecisionContext } from './features.js';

/** One decision: the action row chosen, and the distribution it came from when there is one. */
export interface Decision {
  action: number;
  probabilities?: number[];
  /** Why: each candidate's value estimate and uncertainty, exploration, ties (PolicyManager). */
  reason?: DecisionReason;
}

/** A decision maker: given a batch of decision contexts, one action per context. */
export interface Policy {
  readonly name: string;
  /** Recorded with every decision so it can be explained later. */
  readonly version: string;
  decide(batch: readonly DecisionContext[]): number[] | Promise<number[]>;
  /** Like `decide`, with the probabilities behind each action (learned policies). */
  decideDetailed?(batch: readonly DecisionContext[]): Promise<Decision[]>;
  /** Releases native resources (ONNX sessions); heuristics have none. */
  close?(): Promise<void>;
}

/** A Policy whose decisions are synchronous (heuristics, the TypeScript forward pass). */
export interface SyncPolicy extends Policy {
  decide(batch: readonly DecisionContext[]): number[];
}
