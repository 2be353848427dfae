#!/usr/bin/env node
import { runMarketplaceCli } from './cli.js';

runMarketplaceCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
