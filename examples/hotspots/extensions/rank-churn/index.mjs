import { defineOperator } from '@symphony/sdk';

/** Score = commits × complexity: one pass, no normalisation. */
export default defineOperator({
  manifest: { id: 'hotspots.rank-churn', version: '0.1.0' },
  methods: {
    rank({ records = [], top = 15 }) {
      const ranked = records
        .filter((r) => r.commits > 0 && r.complexity > 0)
        .map((r) => ({ ...r, score: r.commits * r.complexity }))
        .sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : 1))
        .slice(0, top);
      return { ranked, considered: records.length, method: 'commits × complexity', implementation: 'hotspots.rank-churn' };
    },
  },
});
