import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'stage-motifs', include: ['test/**/*.test.ts'] } });
