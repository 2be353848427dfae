import { defineConfig } from 'vitest/config';

// Root: every package is a project, so `pnpm exec vitest run` at the root runs all tests.
export default defineConfig({
  test: { projects: ['packages/*', 'apps/*', 'examples/*'] },
});
