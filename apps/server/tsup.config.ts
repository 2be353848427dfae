import { defineConfig } from 'tsup';

export default defineConfig({
  // `./tokens`: the token store and `symphony tokens` alone, without fastify and the Conductor.
  entry: { index: 'src/index.ts', tokens: 'src/tokens-cli.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', tokens: 'src/tokens-cli.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
