import { defineConfig } from 'tsup';

export default defineConfig([
  { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: false, sourcemap: true, target: 'node20' },
  // Loaded with `--require` inside a sandboxed extension process: CommonJS, no dependencies,
  // so it needs nothing beyond its own file to be readable in the sandbox.
  { entry: { preload: 'src/preload.ts' }, format: ['cjs'], dts: true, clean: false, sourcemap: false, target: 'node20' },
]);
