import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'vdom', include: ['test/**/*.test.ts'] } });
