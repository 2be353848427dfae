import { defineConfig } from 'tsup';

export default defineConfig({
  // `client` is the browser-safe half (no lmdb): the web app imports it alone.
  entry: ['src/index.ts', 'src/client.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
