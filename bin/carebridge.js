#!/usr/bin/env node
// Runs the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
import { runCli } from '../dist/cli/index.js';

const code = await runCli(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
