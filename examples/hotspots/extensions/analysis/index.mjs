import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineOperator } from '@symphony/sdk';

// Decision points that add a path through the code: a cheap, language-agnostic proxy for
// cyclomatic complexity (what a hotspot analysis needs is a ranking, not an exact figure).
const BRANCH = /\b(if|else|for|while|case|catch|switch|elif|except|match|when|unless|until)\b|&&|\|\||\?\?|\?(?!\.)/g;

export default defineOperator({
  manifest: { id: 'hotspots.analysis', version: '0.1.0' },
  methods: {
    /** Decision points of each file measured by symphony.files/measure (unreadable files are left out). */
    async complexity({ repo = '.', paths = [] }, ctx) {
      const records = [];
      let done = 0;
      // Like the built-in operators, a relative repo is relative to the workspace, not to wherever the host started.
      const root = resolve(process.env.SYMPHONY_WORKSPACE ?? process.cwd(), repo);
      for (const entry of paths) {
        const path = typeof entry === 'string' ? entry : entry.path;
        if (ctx.signal.aborted) throw ctx.signal.reason;
        try {
          const text = await readFile(resolve(root, path), 'utf8');
          if (text.length <= 2_000_000) records.push({ path, complexity: (text.match(BRANCH) ?? []).length + 1 });
        } catch {
          // deleted, binary or unreadable: nothing to measure (said in the step's log)
          ctx.log.warn(`skipped ${path}: not readable as text`);
        }
        done++;
        if (done % 50 === 0 || done === paths.length) ctx.progress(done / paths.length, `${done}/${paths.length} files`);
      }
      ctx.log.info(`measured the decision points of ${records.length} of ${paths.length} files`);
      return { records, measured: records.length };
    },

    /** Joined records → what the risk instruments take (files with no size or complexity are left out). */
    riskInputs({ records = [] }) {
      const now = Date.now();
      const files = records
        .filter((r) => typeof r.lines === 'number' && typeof r.complexity === 'number')
        .map((r) => ({
          path: r.path,
          churn: Math.max(0, r.churn ?? 0),
          lines: r.lines,
          complexity: r.complexity,
          authors: r.authors ?? 1,
          ageDays: r.firstSeen ? Math.max(0, Math.round((now - Date.parse(r.firstSeen)) / 86_400_000)) : 0,
        }));
      return { files };
    },

    /** The ranking as a Markdown report. */
    report({ repo, commits, ranking, risk }, ctx) {
      const rows = ranking.ranked ?? [];
      const bands = new Map((risk?.results ?? []).map((r) => [r.path, r.band]));
      const lines = [
        `# Hotspots in ${repo === '.' ? 'this repository' : repo}`,
        '',
        `The ${rows.length} file${rows.length === 1 ? '' : 's'} where frequent change meets size and complexity, from at most the last ${commits} commits.`,
        `Ranked by **${ranking.method}** (${ranking.implementation}); risk bands by the ${risk?.model ?? '?'} model.`,
        '',
        '| # | file | commits | authors | lines churned | lines | complexity | score | risk |',
        '|---:|---|---:|---:|---:|---:|---:|---:|---|',
        ...rows.map((r, i) => `| ${i + 1} | \`${r.path}\` | ${r.commits} | ${r.authors} | ${r.churn} | ${r.lines} | ${r.complexity} | ${r.score.toFixed(3)} | ${bands.get(r.path) ?? ''} |`),
        '',
        `Files considered: ${ranking.considered}.`,
        '',
      ];
      ctx.log.info(`report: ${rows.length} hotspot(s), top ${rows[0]?.path ?? 'none'}`);
      return { markdown: lines.join('\n'), hotspots: rows.length, top: rows[0]?.path ?? null };
    },
  },
});
