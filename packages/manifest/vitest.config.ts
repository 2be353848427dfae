import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'manifest', include: ['test/**/*.test.ts'] } });
