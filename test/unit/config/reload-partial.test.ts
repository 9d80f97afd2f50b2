// Issue 13.2: a reload whose file has a restart-only change applies the reloadable changes and reports the rest;
// the client prints them, and the file's warnings, as the daemon gives them.

import { describe, expect, it } from 'vitest';
import { renderReload } from '../../../src/cli/render.js';
import { diffConfig, parseConfig, reloadableConfig } from '../../../src/config/index.js';
import { FILE } from './helpers.js';

const parse = (text: string) => parseConfig(text, FILE).config;

describe('issue 13.2: reload with a restart-only key in the same edit', () => {
  const old = parse('ports: [p1, p2]\n');
  const file = parse('ports: [p1, p2]\nsnooping:\n  robustness: 3\ndataplane:\n  fdb_capacity: 32768\n');

  it('holds back only the restart-only change', () => {
    const changes = diffConfig(old, file);
    const runnable = reloadableConfig(old, file, changes);
    expect(runnable.snooping.robustness).toBe(3);
    expect(runnable.dataplane.fdb_capacity).toBe(old.dataplane.fdb_capacity);
    expect(runnable.dataplane.batch).toBe(file.dataplane.batch);
    // Still pending against the file, and nothing else is.
    expect(diffConfig(runnable, file).map((c) => c.path)).toEqual(['dataplane.fdb_capacity']);
  });

  it('prints what was applied, what waits for a restart, and the warnings', () => {
    const text = renderReload({
      ok: true, changes: ['snooping.robustness 2 → 3'], notApplied: ['dataplane.fdb_capacity 16384 → 32768 (needs a restart)'],
      warnings: [`${FILE}:3:3: snooping.max_groups: larger than dataplane.mdb_capacity (131072), which is the real limit`],
    });
    expect(text).toBe(
      'configuration reloaded, 1 change applied:\n  snooping.robustness 2 → 3\n' +
      'not applied, the old value stays until a restart:\n  dataplane.fdb_capacity 16384 → 32768 (needs a restart)\n' +
      `warning: ${FILE}:3:3: snooping.max_groups: larger than dataplane.mdb_capacity (131072), which is the real limit\n`);
  });
});
