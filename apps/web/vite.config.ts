import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

export default defineConfig({
  plugins: [react(), tailwindcss()],
  // `pnpm dev` talks to a host started with `pnpm host` (port 5180).
  server: { proxy: { '/ws': { target: 'ws://127.0.0.1:5180', ws: true } } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
});
