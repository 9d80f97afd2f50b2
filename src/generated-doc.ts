// A page of docs/ generated from the code (docs/config.md from the schema, docs/cli.md from the help texts): run as a
// script, the generator writes it, or with --check exits 1 when the committed page is out of date.

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** When `moduleUrl` is the script being run: write (or with --check, compare) `page` with `render()`. */
export function generateDocWhenRun(moduleUrl: string, page: string, render: () => string, regenerate: string): void {
  const isMain = process.argv[1] !== undefined && moduleUrl === pathToFileURL(resolve(process.argv[1])).href;
  if (!isMain) return;
  const target = resolve(process.cwd(), page);
  const text = render();
  if (process.argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(target, 'utf8'); } catch { /* missing counts as different */ }
    if (current !== text) {
      console.error(`${target} is out of date; run: ${regenerate}`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  }
}
