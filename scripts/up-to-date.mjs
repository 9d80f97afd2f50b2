#!/usr/bin/env node
// up-to-date.mjs TARGET SOURCE... — exit 0 when TARGET exists and is newer than every file under the SOURCE paths
// (files or folders, walked recursively), else 1. The build steps use it as `make` would: `npm test`'s pretest and
// the `prepare` that `npx igmpswitch` runs on a checkout then rebuild only what changed (IGMPSWITCH_REBUILD=1 forces).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [target, ...sources] = process.argv.slice(2);
if (!target || sources.length === 0) {
  process.stderr.write('usage: up-to-date.mjs TARGET SOURCE...\n');
  process.exit(2);
}
if (process.env.IGMPSWITCH_REBUILD === '1') process.exit(1);

function newest(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

const built = statSync(target, { throwIfNoEntry: false });
const stale = !built || sources.some((s) => newest(s) >= built.mtimeMs);
process.exit(stale ? 1 : 0);
