import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'conductor', include: ['test/**/*.test.ts'] } });
