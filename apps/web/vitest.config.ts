import { defineProject } from 'vitest/config';

// Browser tests drive a real Chromium through playwright-core; the first build of the app and the
// extension workers' start can take a few seconds on 2 cores.
export default defineProject({ test: { name: 'web', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 120_000 } });
