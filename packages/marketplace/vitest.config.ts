import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'marketplace', include: ['test/**/*.test.ts'] } });
