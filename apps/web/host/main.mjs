#!/usr/bin/env node
// `pnpm --filter @symphony/web host`: serves the built app with the motifs running in workers and
// a live demo run. PORT (default 5180) and STATE_DIR (LMDB persistence) from the environment.
import { startWebHost } from './server.mjs';

const host = await startWebHost({ port: Number(process.env.PORT ?? 5180), demo: 'live', watch: true, stateDir: process.env.STATE_DIR });
console.log(`Symphony web test host on ${host.url}`);
const stop = async () => { await host.close(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
