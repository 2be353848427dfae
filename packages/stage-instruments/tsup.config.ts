import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { defineConfig } from 'tsup';

const EXTENSIONS = ['risk-linear', 'risk-mlp', 'chat'];

export default defineConfig([
  { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: false, sourcemap: true, target: 'node20', shims: true },
  // Each bundled instrument is an extension folder the stage discovers: dist/extensions/<name>/
  // holds its module and its manifest, written from the definition itself so they never differ.
  {
    entry: Object.fromEntries(EXTENSIONS.map((name) => [`extensions/${name}/index`, `src/extensions/${name}.ts`])),
    format: ['esm'],
    dts: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
    async onSuccess() {
      for (const name of EXTENSIONS) {
        const mod = await import(pathToFileURL(`${process.cwd()}/dist/extensions/${name}/index.js`).href + `?t=${Date.now()}`);
        await writeFile(`dist/extensions/${name}/symphony.extension.json`, JSON.stringify(mod.default.manifest, null, 2) + '\n');
      }
    },
  },
]);
