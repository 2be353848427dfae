import { describe, expect, it } from 'vitest';
import { generateBurstyTrace, replayTrace } from '../src/index.js';

describe('pre-warming on a recorded bursty trace', () => {
  it('is deterministic for a seed', () => {
    expect(generateBurstyTrace({ seed: 7, durationMs: 60_000 })).toEqual(generateBurstyTrace({ seed: 7, durationMs: 60_000 }));
  });

  it('serves more acquires warm than on-demand loading', async () => {
    const trace = generateBurstyTrace({ seed: 7, durationMs: 600_000 });
    const none = await replayTrace(trace, { prewarm: false });
    const forecast = await replayTrace(trace, { prewarm: 'forecast' });
    const full = await replayTrace(trace, { prewarm: true });
    expect(none.acquires).toBe(trace.steps.length);
    expect(full.acquires).toBe(trace.steps.length);
    expect(full.warmHitRate).toBeGreaterThan(none.warmHitRate);
    // The forecast alone keeps what is in demand warm, much like keep-alive does: no worse.
    expect(forecast.warmHitRate).toBeGreaterThanOrEqual(none.warmHitRate - 0.01);
  });
});
