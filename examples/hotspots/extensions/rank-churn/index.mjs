import { defineOperator } from '@symphony/sdk';

/** Generated or vendored files: no one maintains them by hand, so they are never hotspots. */
const GENERATED = /(^|\/)(dist|build|vendor|generated|node_modules)\/|\.(generated|gen|min)\.[a-z]+$|\.pb\.[a-z]+$|-lock\.json$|\.lock$/;

/**
 * Score = commits × complexity: one pass, no normalisation, no filtering. Cheap, and right for
 * hand-written code; a repository that commits generated files (bundles, protobuf stubs) gets
 * them at the top, because they churn with every build and are large. The result reports its
 * quality: the share of the ranked files a person maintains (the Conductor learns from it).
 */
export default defineOperator({
  manifest: { id: 'hotspots.rank-churn', version: '0.2.0' },
  methods: {
    rank({ records = [], top = 15 }) {
      const ranked = records
        .filter((r) => r.commits > 0 && r.complexity > 0)
        .map((r) => ({ ...r, score: r.commits * r.complexity }))
        .sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : 1))
        .slice(0, top);
      const quality = ranked.length === 0 ? 1 : ranked.filter((r) => !GENERATED.test(r.path)).length / ranked.length;
      return { ranked, considered: records.length, quality, method: 'commits × complexity', implementation: 'hotspots.rank-churn' };
    },
  },
});
