import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'pit-dag', include: ['test/**/*.test.ts'] } });
