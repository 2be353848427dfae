import type { DecisionContext } from './features.js';

/** A decision maker: given a batch of decision contexts, one action per context. */
export interface Policy {
  readonly name: string;
  /** Recorded with every decision so it can be explained later. */
  readonly version: string;
  decide(batch: readonly DecisionContext[]): number[] | Promise<number[]>;
  /** Releases native resources (ONNX sessions); heuristics have none. */
  close?(): Promise<void>;
}

/** A Policy whose decisions are synchronous (heuristics, the TypeScript forward pass). */
export interface SyncPolicy extends Policy {
  decide(batch: readonly DecisionContext[]): number[];
}
