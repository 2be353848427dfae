import { mkdir, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { defineConfig } from 'tsup';

const OPERATORS = ['files', 'data', 'git'];

export default defineConfig([
  { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: false, sourcemap: true, target: 'node20' },
  // Each built-in operator is an extension folder the stage discovers: dist/extensions/<name>/
  // holds its module and its manifest, written from the definition itself so they never differ.
  {
    entry: Object.fromEntries(OPERATORS.map((name) => [`extensions/${name}/index`, `src/extensions/${name}.ts`])),
    format: ['esm'],
    dts: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
    async onSuccess() {
      for (const name of OPERATORS) {
        const mod = await import(pathToFileURL(`${process.cwd()}/dist/extensions/${name}/index.js`).href + `?t=${Date.now()}`);
        await mkdir(`dist/extensions/${name}`, { recursive: true });
        await writeFile(`dist/extensions/${name}/symphony.extension.json`, JSON.stringify(mod.default.manifest, null, 2) + '\n');
      }
    },
  },
]);
