import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'pit-arbitration', include: ['test/**/*.test.ts'] } });
