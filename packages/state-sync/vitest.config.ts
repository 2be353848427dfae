import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'state-sync', include: ['test/**/*.test.ts'] } });
