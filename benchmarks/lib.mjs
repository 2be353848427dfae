// Shared helpers for benchmark suites: every figure is measured beside its raw floor in the same
// process, and reported as a ratio, because absolute times on these VMs swing 2-3x.
import { Bench } from 'tinybench';

/**
 * In `--quick` mode every measurement is capped here, whatever a suite asks: at most
 * QUICK.timeMs of sampling and QUICK.iterations samples minimum (tinybench's default minimum of
 * 64 samples alone made 40 ms operations take seconds), so the whole run stays under a minute.
 */
export const QUICK = { timeMs: 100, iterations: 8, warmupMs: 20, warmupIterations: 2 };

/**
 * Measures `fn` with tinybench. Nanosecond operations are timed in batches of `batch` calls so
 * tinybench's own per-sample overhead does not swamp them; figures are per single call.
 * `fn` may be async (then it is awaited once per sample).
 */
export async function measure(name, fn, { batch = 1, time = 400, quick = false, warmupTime } = {}) {
  const bench = new Bench(
    quick
      ? { time: Math.min(time, QUICK.timeMs), iterations: QUICK.iterations, warmupTime: Math.min(warmupTime ?? QUICK.warmupMs, QUICK.warmupMs), warmupIterations: QUICK.warmupIterations }
      : { time, warmupTime: warmupTime ?? 100 },
  );
  const task = batch === 1 ? fn : fn.constructor.name === 'AsyncFunction'
    ? async () => { for (let i = 0; i < batch; i++) await fn(); }
    : () => { for (let i = 0; i < batch; i++) fn(); };
  bench.add(name, task);
  const t0 = performance.now();
  await bench.run();
  // BENCH_TRACE=1 shows where a suite's time goes, one line per measurement.
  if (process.env.BENCH_TRACE) process.stderr.write(`    ${((performance.now() - t0) / 1000).toFixed(2)} s  ${name}\n`);
  const result = bench.tasks[0].result;
  if (!result || result.state !== 'completed') throw new Error(`benchmark "${name}" did not complete: ${result?.error ?? result?.state}`);
  const ms = result.latency;
  return {
    name,
    medianNs: (ms.p50 * 1e6) / batch,
    p99Ns: (ms.p99 * 1e6) / batch,
    meanNs: (ms.mean * 1e6) / batch,
    opsPerSec: (result.throughput.mean ?? 1000 / ms.mean) * batch,
    samples: ms.samples?.length ?? result.latency.samplesCount ?? 0,
  };
}

/**
 * One row of the envelope table. `floor` is the measurement of the raw floor for this layer
 * taken in the same run; `promise` is the original design's promise, `aim` Symphony's;
 * `envelope` (optional) names the envelope layer the row represents.
 */
export function row({ layer, name, m, floor, promise = '', aim = '', envelope }) {
  return {
    // Optional: the envelope layer this row stands for (see suites/envelope.mjs), when a suite
    // wants to pick its own representative instead of the default case-name match.
    ...(envelope ? { envelope } : {}),
    layer,
    case: name,
    medianNs: round(m.medianNs),
    p99Ns: round(m.p99Ns),
    opsPerSec: Math.round(m.opsPerSec),
    floor: floor?.name ?? '',
    floorMedianNs: floor ? round(floor.medianNs) : null,
    ratio: floor ? round(m.medianNs / floor.medianNs) : null,
    promise,
    aim,
  };
}

export function round(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x;
  if (Math.abs(x) >= 100) return Math.round(x);
  // Below 1 keep two significant digits, so a 0.003× ratio does not print as 0×.
  return Math.abs(x) >= 1 || x === 0 ? Math.round(x * 100) / 100 : Number(x.toPrecision(2));
}

export function formatNs(ns) {
  if (ns === null || ns === undefined) return '';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(1)} ns`;
}

export function formatOps(ops) {
  return Number.isFinite(ops) ? Math.round(ops).toLocaleString('en-US') : '';
}

/** Table cells may not hold a pipe or a newline. */
export function cell(text) {
  return String(text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(rows) {
  const head = '| layer | case | median | p99 | ops/s | floor (same run) | ratio to floor | promise | aim |';
  const sep = '|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map((r) =>
    `| ${cell(r.layer)} | ${cell(r.case)} | ${formatNs(r.medianNs)} | ${formatNs(r.p99Ns)} | ${formatOps(r.opsPerSec)} | ${r.floor ? cell(`${r.floor} ${formatNs(r.floorMedianNs)}`) : ''} | ${r.ratio === null || r.ratio === undefined ? '' : `${r.ratio}×`} | ${cell(r.promise)} | ${cell(r.aim)} |`);
  return [head, sep, ...lines].join('\n');
}

/** Times `start` (which returns its own cleanup, not timed) `runs` times: median, max, 1/mean. */
export async function coldStart(name, runs, start) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const cleanup = await start();
    times.push((performance.now() - t0) * 1e6);
    await cleanup();
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / runs;
  return { name, medianNs: times[Math.floor(runs / 2)], p99Ns: times[runs - 1], meanNs: mean, opsPerSec: 1e9 / mean };
}
