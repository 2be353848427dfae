#!/usr/bin/env node
import { runSdkCli } from './index.js';

runSdkCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
