import { defineOperator } from '@symphony/sdk';

const WEIGHTS = { commits: 0.4, churn: 0.2, authors: 0.1, complexity: 0.3 };
/** Generated or vendored files: no one maintains them by hand, so they are never hotspots. */
const GENERATED = /(^|\/)(dist|build|vendor|generated|node_modules)\/|\.(generated|gen|min)\.[a-z]+$|\.pb\.[a-z]+$|-lock\.json$|\.lock$/;

/** Percentile rank of each value in its column (ties share the lower rank), 0..1. */
function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return values.map((v) => (sorted.length <= 1 ? 1 : sorted.indexOf(v) / (sorted.length - 1)));
}

/**
 * Score = weighted sum of percentile ranks over hand-written files (generated and vendored ones
 * are left out): robust to one huge generated file or one busy day, and dearer than
 * commits × complexity. Reports its quality like rank-churn: the share of ranked files a person
 * maintains.
 */
export default defineOperator({
  manifest: { id: 'hotspots.rank-weighted', version: '0.2.0' },
  methods: {
    rank({ records = [], top = 15 }, ctx) {
      const rows = records.filter((r) => r.commits > 0 && !GENERATED.test(r.path));
      const columns = Object.fromEntries(Object.keys(WEIGHTS).map((k) => [k, percentiles(rows.map((r) => Number(r[k] ?? 0)))]));
      ctx.progress(0.5, 'percentiles computed');
      const ranked = rows
        .map((r, i) => ({ ...r, score: Object.entries(WEIGHTS).reduce((s, [k, w]) => s + w * columns[k][i], 0) }))
        .sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : 1))
        .slice(0, top);
      const quality = ranked.length === 0 ? 1 : ranked.filter((r) => !GENERATED.test(r.path)).length / ranked.length;
      return { ranked, considered: records.length, quality, method: 'weighted percentiles (commits .4, complexity .3, churn .2, authors .1)', implementation: 'hotspots.rank-weighted' };
    },
  },
});
