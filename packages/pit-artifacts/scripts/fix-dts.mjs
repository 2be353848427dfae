// lmdb's ESM declaration file ends in `export =`, which TypeScript rejects in an ES module
// (TS1203) for every consumer that type-checks libraries (`skipLibCheck: false`). Its CommonJS
// declaration file declares the same API validly, so our ESM declarations take lmdb's types from
// there. rollup-plugin-dts drops import attributes, hence this step after tsup.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../dist/index.d.ts', import.meta.url);
const text = readFileSync(file, 'utf8');
const fixed = text.replace(/^import (\{[^}]*\}) from 'lmdb';$/m, "import type $1 from 'lmdb' with { 'resolution-mode': 'require' };");
if (fixed === text && !text.includes("'resolution-mode'")) throw new Error('fix-dts: no lmdb import found in dist/index.d.ts');
writeFileSync(file, fixed);
