import type { ArtifactVersion } from '@symphony/types/core';

/** What a scorer sees when a version is stored. */
export interface ScoreInput {
  info: Omit<ArtifactVersion, 'score' | 'scores'>;
  data: Uint8Array;
  /** The payload decoded per its content type (decoded once, on first call). */
  value(): unknown;
  /** Successes and failures recorded for the producing extension (or step), if any. */
  history?: { ok: number; failed: number };
  /** The caller labelled raw bytes or text as JSON (so it may not parse). */
  declaredJson?: boolean;
  /** Consumer feedback recorded so far for this version. */
  feedback?: { sum: number; count: number };
}

/**
 * A quality signal in [0, 1]; `undefined` means "no opinion" and is left out of the mean.
 * Scorers run synchronously inside the write transaction: keep them cheap.
 */
export interface Scorer {
  name: string;
  /** Weight in the mean (default 1). */
  weight?: number;
  score(input: ScoreInput): number | undefined;
}

/** A payload check: a function or anything zod-like with `safeParse`. */
export type SchemaCheck = ((value: unknown) => boolean) | { safeParse(value: unknown): { success: boolean } };

/** Schema validity: 1 if the payload passes the check registered for its kind, else 0. JSON that does not parse is 0. */
export function schemaScorer(schemas: Readonly<Record<string, SchemaCheck>> = {}): Scorer {
  return {
    name: 'schema',
    score({ info, value, declaredJson }) {
      const check = info.kind === undefined ? undefined : schemas[info.kind];
      // JSON the store encoded itself is valid by construction: only check what callers declared.
      if (!check && !declaredJson) return undefined;
      let decoded: unknown;
      try {
        decoded = value();
      } catch {
        return 0;
      }
      if (!check) return undefined;
      const ok = typeof check === 'function' ? check(decoded) : check.safeParse(decoded).success;
      return ok ? 1 : 0;
    },
  };
}

/** Producer history: Laplace-smoothed success rate of the producing extension or step. */
export const producerScorer: Scorer = {
  name: 'producer',
  score({ history }) {
    if (!history || history.ok + history.failed === 0) return undefined;
    return (history.ok + 1) / (history.ok + history.failed + 2);
  },
};

/** Consumer feedback: the mean of the values consumers recorded with `feedback()`. */
export const feedbackScorer: Scorer = {
  name: 'feedback',
  score({ feedback }) {
    return feedback && feedback.count > 0 ? feedback.sum / feedback.count : undefined;
  },
};

export function defaultScorers(schemas?: Readonly<Record<string, SchemaCheck>>): Scorer[] {
  return [schemaScorer(schemas), producerScorer, feedbackScorer];
}

/** Weighted mean of the scores present, clamped to [0, 1]; 0.5 (no signal) when none. */
export function combineScores(scores: Record<string, number>, scorers: readonly Scorer[]): number {
  let sum = 0;
  let weights = 0;
  for (const scorer of scorers) {
    const value = scores[scorer.name];
    if (value === undefined) continue;
    const weight = scorer.weight ?? 1;
    sum += Math.min(1, Math.max(0, value)) * weight;
    weights += weight;
  }
  return weights === 0 ? 0.5 : sum / weights;
}

/** Runs every scorer; a scorer that throws or returns a non-finite number counts as no opinion. */
export function runScorers(input: ScoreInput, scorers: readonly Scorer[]): Record<string, number> {
  const scores: Record<string, number> = {};
  for (const scorer of scorers) {
    let value: number | undefined;
    try {
      value = scorer.score(input);
    } catch {
      value = undefined;
    }
    if (value !== undefined && Number.isFinite(value)) scores[scorer.name] = Math.min(1, Math.max(0, value));
  }
  return scores;
}
