import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'pit-artifacts', include: ['test/**/*.test.ts'] } });
