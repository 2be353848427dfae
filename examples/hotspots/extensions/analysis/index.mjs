import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineOperator } from '@symphony/sdk';

// Decision points that add a path through the code: a cheap, language-agnostic proxy for
// cyclomatic complexity (what a hotspot analysis needs is a ranking, not an exact figure).
const BRANCH = /\b(if|else|for|while|case|catch|switch|elif|except|match|when|unless|until)\b|&&|\|\||\?\?|\?(?!\.)/g;

export default defineOperator({
  manifest: { id: 'hotspots.analysis', version: '0.1.0' },
  methods: {
    /** git log commits → one record per (commit, file) with the lines it touched. */
    changes({ commits }) {
      const records = [];
      for (const commit of commits ?? []) {
        for (const file of commit.files ?? []) {
          if (!file.path) continue;
          records.push({ path: file.path, commit: commit.hash, author: commit.email || commit.author, lines: (file.added ?? 0) + (file.deleted ?? 0) });
        }
      }
      return { records, commits: (commits ?? []).length };
    },

    /** Lines, bytes and decision points of each file (files that cannot be read are left out). */
    async measure({ repo = '.', paths = [] }, ctx) {
      const records = [];
      let done = 0;
      for (const path of paths) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        try {
          const text = await readFile(join(repo, path), 'utf8');
          if (text.length <= 2_000_000) {
            const lines = text.split('\n');
            const code = lines.filter((l) => l.trim() !== '' && !/^\s*(\/\/|#|\*|\/\*)/.test(l)).length;
            let maxIndent = 0;
            for (const l of lines) maxIndent = Math.max(maxIndent, (/^ */.exec(l)?.[0].length ?? 0));
            records.push({ path, lines: lines.length, code, bytes: text.length, complexity: (text.match(BRANCH) ?? []).length + 1, maxIndent });
          }
        } catch {
          // deleted, binary or unreadable: nothing to measure
        }
        done++;
        if (done % 50 === 0 || done === paths.length) ctx.progress(done / paths.length, `${done}/${paths.length} files`);
      }
      return { records, measured: records.length };
    },

    /** The ranking as a Markdown report. */
    report({ repo, commits, ranking }) {
      const rows = ranking.ranked ?? [];
      const lines = [
        `# Hotspots in ${repo === '.' ? 'this repository' : repo}`,
        '',
        `The ${rows.length} files where frequent change meets size and complexity, from the last ${commits} commits.`,
        `Ranked by **${ranking.method}** (${ranking.implementation}).`,
        '',
        '| # | file | commits | authors | lines churned | code lines | complexity | score |',
        '|---:|---|---:|---:|---:|---:|---:|---:|',
        ...rows.map((r, i) => `| ${i + 1} | \`${r.path}\` | ${r.commits} | ${r.authors} | ${r.churn} | ${r.code} | ${r.complexity} | ${r.score.toFixed(3)} |`),
        '',
        `Files considered: ${ranking.considered}.`,
        '',
      ];
      return { markdown: lines.join('\n'), hotspots: rows.length, top: rows[0]?.path ?? null };
    },
  },
});
