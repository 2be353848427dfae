import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'pit-stale', include: ['test/**/*.test.ts'] } });
