// `igmpswitch run` refuses to start with a clear message and a non-zero status: a bad configuration names file,
// line, column and key; a missing interface is named. Runs the built CLI (npm test builds first).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../../bin/igmpswitch.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../../../dist/daemon/run.js', import.meta.url)));

/** Runs `igmpswitch run` on the YAML that `yaml(dir)` gives for a fresh directory (its own socket and state paths). */
function run(yaml: string | ((dir: string) => string)): { status: number | null; stderr: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'igmpsw-run-'));
  const path = join(dir, 'cfg.yaml');
  writeFileSync(path, typeof yaml === 'string' ? yaml : yaml(dir));
  const r = spawnSync(process.execPath, [cli, 'run', '--config', path], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, path };
}

describe.skipIf(!built)('igmpswitch run: start-up errors', () => {
  it('a bad configuration: exit 1, FILE:LINE:COL: key.path: what was expected', () => {
    const r = run('ports: [a, b]\nsnooping:\n  querier:\n    enabled: yes-please\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${r.path}:4:14: snooping.querier.enabled: expected boolean`);
  });

  it('an interface that does not exist: exit 1, the interface named', () => {
    const r = run((dir) => `ports: [igsnosuch0, igsnosuch1]\nstate: { file: null }\nmanagement: { socket: ${join(dir, 'igmpswitch.sock')} }\n`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/interfaces not found: igsnosuch0, igsnosuch1/);
  });
});
