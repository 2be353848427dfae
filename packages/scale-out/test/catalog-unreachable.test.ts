import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { workerCatalog } from '../src/index.js';

// Outsider attack (issue 19): `symphony run` with SYMPHONY_REDIS_URL at a Redis that is down asked
// workerCatalog, whose no-retry connection rejected the ping with ioredis' bare
// "Connection is closed." (E_INTERNAL on the CLI). Unreachable is "no worker known", as a timeout is.
describe('workerCatalog with Redis down', () => {
  it('resolves to no workers instead of throwing an uncoded error', async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    await expect(workerCatalog({ redis: `redis://127.0.0.1:${port}` })).resolves.toEqual([]);
  });
});
