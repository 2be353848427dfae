// A coordinator in a child process, for the coordinator-kill test:
// node coordinator-proc.mjs <redisUrl> <home> <workspace> <marker>  -> prints "run <runId>" once the run started.
import { createSymphony } from '@symphony/runtime';
import { attachScaleOut } from '../dist/index.js';

const [redis, home, workspace, marker] = process.argv.slice(2);
const symphony = await createSymphony({ home, workspace, builtins: false, policy: 'heuristic', logLevel: 'silent' });
await attachScaleOut(symphony, { redis, secret: process.env.SYMPHONY_SCALE_OUT_SECRET }, { sweepMs: 200 });
const handle = symphony.start({ name: 'kill-coordinator', steps: [{ id: 'slow', uses: 'acme.work/slow', with: { ms: 1500, marker, tag: 'slow' } }, { id: 'after', uses: 'acme.work/echo', with: { got: '${{ steps.slow.output.tag }}' } }] });
process.stdout.write(`run ${handle.runId}\n`);
await handle.done;
process.stdout.write('done\n');
