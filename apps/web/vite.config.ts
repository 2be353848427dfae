import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

const packages = fileURLToPath(new URL('../../packages/', import.meta.url));

/**
 * Writes `.br` and `.gz` next to every compressible file of the build; the server sends them
 * (`@fastify/static` `preCompressed`) to clients that accept them.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'symphony-precompress',
    apply: 'build',
    configResolved(config) { outDir = join(config.root, config.build.outDir); },
    closeBundle() {
      const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json|webmanifest|txt|map)$/.test(file)) continue;
        const data = readFileSync(file);
        if (data.length < 512) continue;
        writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), precompress()],
  resolve: {
    // The browser bundle reads these workspace packages from source so that unused modules
    // (zod schemas, msgpack encoders, the server-side view runtime) are left out of it.
    alias: [
      { find: /^@symphony\/(types|vdom|stage-motifs)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
  // `pnpm dev` talks to a host started with `pnpm host` (port 5180).
  server: { proxy: { '/ws': { target: 'ws://127.0.0.1:5180', ws: true } } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
