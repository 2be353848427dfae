import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // host.ts resolves the SDK's runtime entry from import.meta.url, which CJS needs shimmed.
  shims: true,
});
