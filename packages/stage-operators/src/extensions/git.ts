import { z } from 'zod';
import { method } from '@symphony/sdk';
import { gitBlame, gitCurrentBranch, gitDiff, gitLog, gitShow, gitStatus } from '../git-ops.js';
import { GIT_MANIFEST } from '../manifests.js';
import { defineBuiltinOperator } from '../operator.js';

const Repo = z.string().min(1).max(4096).default('.');
const Rev = z.string().min(1).max(256);

/** symphony.git: log, diff, status, blame, show, currentBranch (read-only). */
export default defineBuiltinOperator(GIT_MANIFEST, (env) => {
  const ctx = (signal: AbortSignal) => ({ guard: env().guard, signal });
  return {
    log: method(
      {
        input: z.strictObject({ repo: Repo, ref: Rev.optional(), paths: z.array(z.string().min(1)).optional(), maxCount: z.number().int().min(1).max(100_000).optional(), since: z.string().optional(), numstat: z.boolean().optional() }),
        description: 'Commits (hash, author, email, ISO date, subject) newest first; with numstat, the files each touched and lines added/deleted.',
      },
      (input, c) => gitLog(ctx(c.signal), input),
    ),
    diff: method(
      { input: z.strictObject({ repo: Repo, from: Rev.optional(), to: Rev.optional(), paths: z.array(z.string().min(1)).optional(), stat: z.boolean().optional() }), description: 'A unified diff, or per-file added/deleted counts with stat.' },
      (input, c) => gitDiff(ctx(c.signal), input),
    ),
    status: method({ input: z.strictObject({ repo: Repo }), description: 'Branch and changed files (porcelain v1).' }, (input, c) => gitStatus(ctx(c.signal), input)),
    blame: method({ input: z.strictObject({ repo: Repo, path: z.string().min(1), ref: Rev.optional() }), description: 'Who last changed each line.' }, (input, c) => gitBlame(ctx(c.signal), input)),
    show: method({ input: z.strictObject({ repo: Repo, ref: Rev, path: z.string().min(1).optional() }), description: 'A commit with its stat, or a file at a revision.' }, (input, c) => gitShow(ctx(c.signal), input)),
    currentBranch: method({ input: z.strictObject({ repo: Repo }), description: 'The checked-out branch (null when detached) and HEAD.' }, (input, c) => gitCurrentBranch(ctx(c.signal), input)),
  };
});
