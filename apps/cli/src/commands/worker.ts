import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultHome } from '@symphony/config';
import { createSymphony } from '@symphony/runtime';
import { scaleOutFromEnv, startScaleWorker, type WorkerStage } from '@symphony/scale-out';
import { SymphonyError } from '@symphony/types';
import { WORKER_USAGE } from '../help.js';
import { poolFromEnv } from '../kernel.js';

/** `symphony worker`: a kernel with the Stage consuming the queues of the extensions it has. */
export async function workerCli(argv: readonly string[]): Promise<number> {
  const usage = (message: string) => new SymphonyError('E_USAGE', message, {});
  // Node's parseArgs errors (unknown option, missing value) exit 2 like E_USAGE.
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: false,
    options: {
      redis: { type: 'string' },
      concurrency: { type: 'string' },
      extensions: { type: 'string', multiple: true },
      'extension-dir': { type: 'string', multiple: true },
      'lock-ms': { type: 'string' },
      limit: { type: 'string' },
      'secret-file': { type: 'string' },
      tls: { type: 'boolean', default: false },
      home: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${WORKER_USAGE}\n`);
    return 0;
  }
  if (!values.redis && !process.env.SYMPHONY_REDIS_URL) throw usage('--redis <url> (or $SYMPHONY_REDIS_URL) is required');
  const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) throw usage(`--concurrency must be an integer from 1 to 1024, not "${values.concurrency}"`);
  const lockMs = values['lock-ms'] === undefined ? undefined : Number(values['lock-ms']);
  if (lockMs !== undefined && (!Number.isInteger(lockMs) || lockMs < 500)) throw usage(`--lock-ms must be an integer of at least 500, not "${values['lock-ms']}"`);
  const limit = values.limit === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(values.limit);
  if (limit === null || (limit && (Number(limit[1]) < 1 || Number(limit[2]) < 1))) throw usage(`--limit must be <jobs>/<milliseconds> (e.g. 100/1000), not "${values.limit}"`);
  const env = { ...process.env };
  if (values.redis) env.SYMPHONY_REDIS_URL = values.redis;
  if (values['secret-file']) {
    const file = values['secret-file'];
    try {
      env.SYMPHONY_SCALE_OUT_SECRET = readFileSync(file, 'utf8').trim();
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new SymphonyError('E_CONFIG_INVALID', `--secret-file ${file} cannot be read (${reason})`, { details: { field: 'secret-file', path: file, reason } });
    }
  }
  if (values.tls) env.SYMPHONY_REDIS_TLS = '1';
  const config = scaleOutFromEnv(env);
  if (!config) throw usage('--redis <url> (or $SYMPHONY_REDIS_URL) is required');
  const home = defaultHome({ flag: values.home });
  // Each worker machine has its own pool of instrument instances (SYMPHONY_POOL_MB), with the same rules.
  const symphony = await createSymphony({ home, logLevel: 'info', ...(values['extension-dir'] ? { extensions: values['extension-dir'] } : {}), ...poolFromEnv(process.env) });
  let worker;
  try {
    worker = await startScaleWorker({
      redis: config.redis,
      secret: config.secret,
      ...(config.prefix ? { prefix: config.prefix } : {}),
      stage: symphony.kernel.service<WorkerStage>('stage'),
      concurrency,
      ...(values.extensions ? { extensions: values.extensions.flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean) } : {}),
      ...(lockMs ? { lockDuration: lockMs, stalledInterval: lockMs } : {}),
      ...(limit ? { limiter: { max: Number(limit[1]), duration: Number(limit[2]) } } : {}),
      logger: symphony.kernel.logger,
    });
  } catch (err) {
    await symphony.close();
    throw err;
  }
  process.stdout.write(`symphony worker ${worker.id}: consuming ${worker.queues.join(', ') || 'no queue (no extension installed)'} (store ${home})\n`);
  return new Promise<number>((resolve) => {
    const stop = () => {
      void worker
        .close()
        .then(() => symphony.close())
        .then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
