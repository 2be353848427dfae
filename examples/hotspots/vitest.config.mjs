import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'example-hotspots', include: ['test/**/*.test.ts'], testTimeout: 120_000 } });
