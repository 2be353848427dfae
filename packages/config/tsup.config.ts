import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/home.ts'],
  format: ['esm', 'cjs'],
  shims: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
