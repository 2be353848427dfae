import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'pit-pool', include: ['test/**/*.test.ts'] } });
