/**
 * Quest seed ranges. Training, validation (model selection and heuristic tuning) and held-out
 * evaluation never overlap: `symphony eval` reports on HELD_OUT seeds that no training run or
 * tuning step ever sees.
 */
export const VALIDATION_BASE = 500_000;
/** Seeds VALIDATION_BASE .. VALIDATION_BASE + VALIDATION_SPAN - 1 are reserved for validation. */
export const VALIDATION_SPAN = 100_000;
export const HELD_OUT_BASE = 900_000;
export const TRAIN_BASE = 10_000_000;
export const MAX_EPISODES = 1_000_000;

export function trainingQuestSeed(seed: number, episode: number): number {
  return TRAIN_BASE + (Math.abs(Math.floor(seed)) % 1000) * MAX_EPISODES + (episode % MAX_EPISODES);
}

export function validationSeeds(count: number): number[] {
  if (count > VALIDATION_SPAN) throw new RangeError(`at most ${VALIDATION_SPAN} validation seeds`);
  return Array.from({ length: count }, (_, i) => VALIDATION_BASE + i);
}

export function heldOutSeeds(count: number): number[] {
  return Array.from({ length: count }, (_, i) => HELD_OUT_BASE + i);
}
