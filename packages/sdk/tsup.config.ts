import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The versions `symphony-sdk create` writes into a new project, read at build time from the
// workspace (after `changeset version`, the release build picks up the new ones).
const templateVersions = Object.fromEntries(
  ['sdk', 'vdom', 'extension-loader', 'kernel', 'sandbox'].map((name) => [`@symphony/${name}`, JSON.parse(readFileSync(`../${name}/package.json`, 'utf8')).version]),
);
const define = { __SYMPHONY_TEMPLATE_VERSIONS__: JSON.stringify(templateVersions) };

// One object per kind of output, so a new part (the authoring CLI under src/cli/) is one more
// entry here and one more `exports`/`bin` line in package.json.
export default defineConfig([
  {
    // The library: ESM + CJS + types.
    entry: { index: 'src/index.ts', 'runtime/index': 'src/runtime/index.ts', 'testing/index': 'src/testing/index.ts', 'cli/index': 'src/cli/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    define,
    sourcemap: true,
    target: 'node20',
  },
  {
    // The module a host starts in a worker or child process: ESM only, never imported by code.
    entry: { 'runtime/entry': 'src/runtime/entry.ts', 'cli/bin': 'src/cli/bin.ts' },
    format: ['esm'],
    define,
    // Types too, so the `./runtime/entry` subpath resolves to a declaration like every other one.
    dts: { entry: { 'runtime/entry': 'src/runtime/entry.ts' } },
    sourcemap: true,
    target: 'node20',
  },
]);
