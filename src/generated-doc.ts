// Files generated from the code (docs/config.md from the schema, docs/cli.md from the help texts, the memory contract's
// constants from src/contract/memory.ts): run as a script, the generator writes them, or with --check exits 1 when a
// committed file is out of date.

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** When `moduleUrl` is the script being run: write (or with --check, compare) every file with its `render()`. */
export function generateFilesWhenRun(moduleUrl: string, files: Record<string, () => string>, regenerate: string): void {
  const isMain = process.argv[1] !== undefined && moduleUrl === pathToFileURL(resolve(process.argv[1])).href;
  if (!isMain) return;
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [file, render] of Object.entries(files)) {
    const target = resolve(process.cwd(), file);
    const text = render();
    let current: string | undefined;
    try { current = readFileSync(target, 'utf8'); } catch { /* missing counts as different */ }
    if (check) {
      if (current !== text) {
        console.error(`${target} is out of date; run: ${regenerate}`);
        stale = true;
      }
    } else if (current !== text) {
      // Unchanged files keep their mtime, so the incremental build steps (scripts/up-to-date.mjs) stay quiet.
      writeFileSync(target, text);
      console.log(`wrote ${target}`);
    }
  }
  if (stale) process.exit(1);
}

/** When `moduleUrl` is the script being run: write (or with --check, compare) `page` with `render()`. */
export function generateDocWhenRun(moduleUrl: string, page: string, render: () => string, regenerate: string): void {
  generateFilesWhenRun(moduleUrl, { [page]: render }, regenerate);
}
