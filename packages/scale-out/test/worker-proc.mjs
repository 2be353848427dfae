// A `symphony worker` in a child process, for fault tests: node worker-proc.mjs <redisUrl> <home> [lockMs]
import { createSymphony } from '@symphony/runtime';
import { startScaleWorker } from '../dist/index.js';
import { fileURLToPath } from 'node:url';

const [redis, home, lockMs = '2000', concurrency = '2'] = process.argv.slice(2);
const symphony = await createSymphony({ home, workspace: process.cwd(), builtins: process.env.WORKER_BUILTINS === '1', extensions: [fileURLToPath(new URL('./fixtures/extensions', import.meta.url))], noSync: true });
const worker = await startScaleWorker({
  redis,
  secret: process.env.SYMPHONY_SCALE_OUT_SECRET,
  stage: symphony.kernel.service('stage'),
  concurrency: Number(concurrency),
  lockDuration: Number(lockMs),
  stalledInterval: Number(lockMs),
});
process.stdout.write(`ready ${worker.id}\n`);
const stop = async () => {
  await worker.close();
  await symphony.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
