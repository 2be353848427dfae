import { defineProject } from 'vitest/config';

// End-to-end tests start real processes (kernel, worker-thread extensions, LMDB): give them room
// on a loaded 2-core machine. A limit, not a timed assertion.
export default defineProject({ test: { name: 'cli', include: ['test/**/*.test.ts'], testTimeout: 90_000, hookTimeout: 30_000 } });
