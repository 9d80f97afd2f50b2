#!/usr/bin/env node
// Launcher: the CLI is compiled from src/ to dist/ by `npm install` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('igmpswitch: not built yet; run `npm install` (or `npm run build`) in the project root');
  process.exit(2);
}
await import(main.href);
