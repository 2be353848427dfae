import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  shims: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
