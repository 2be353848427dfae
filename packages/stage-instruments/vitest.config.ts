import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'stage-instruments', include: ['test/**/*.test.ts'], testTimeout: 30_000 } });
