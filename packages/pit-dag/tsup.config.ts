import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // GitHub's expression package ships ESM only: bundle it so the CJS build can be required too.
  noExternal: ['@actions/expressions'],
});
