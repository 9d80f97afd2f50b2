import { describe, it, expect, beforeEach } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { saveState, loadState, type StateBody } from '../../../src/mgmt/state-file.js';

const body: StateBody = { savedAtMs: 1_700_000_000_000, ports: ['p1', 'p2'], snooping: { groups: [{ g: '239.1.1.1' }] } };

describe('state file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'igmpsw-state-'));
    path = join(dir, 'sub', 'state.json');
  });

  it('round-trips and leaves no temp file behind, mode 0600', () => {
    saveState(path, body);
    expect(loadState(path)).toEqual({ ok: true, body });
    expect(readdirSync(join(dir, 'sub'))).toEqual(['state.json']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('writes in pieces exactly what JSON.stringify of the whole envelope gives (format unchanged)', () => {
    const groups = Array.from({ length: 5000 }, (_, i) => ({
      vlan: i % 3, group: `239.1.${i >> 8}.${i & 255}`, sources: i % 2 ? [['10.0.0.1', 5]] : [], skipped: undefined,
      name: i === 7 ? 'pört "ß" \u{1f600}' : 'p1',
    }));
    const odd: StateBody = {
      savedAtMs: 1, ports: ['a', 'b'],
      snooping: { version: 1, vlans: [], empty: {}, groups, routers: [undefined, null, 1.5], fn: () => 1, nested: { deep: { deeper: [1, [2, {}]] } } },
    };
    saveState(path, odd);
    const digest = createHash('sha256').update(JSON.stringify(odd)).digest('hex');
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify({ format: 'igmpswitch-state', version: 1, digest, body: odd }));
    expect(loadState(path).ok).toBe(true);
  });

  it('writes a generator as the array of what it yields, one element at a time (the lazy snapshot); empty as []', () => {
    const groups = Array.from({ length: 3000 }, (_, i) => ({ vlan: 0, group: `239.1.${i >> 8}.${i & 255}`, hosts: [['10.0.0.1', 'exclude', [], 5]] }));
    let made = 0;
    const lazy: StateBody = {
      savedAtMs: 1, ports: ['a'],
      snooping: { version: 1, groups: (function* () { for (const g of groups) { made++; yield g; } })(), none: (function* () {})(), routers: [] },
    };
    saveState(path, lazy);
    expect(made).toBe(3000);
    const eager: StateBody = { savedAtMs: 1, ports: ['a'], snooping: { version: 1, groups, none: [], routers: [] } };
    const digest = createHash('sha256').update(JSON.stringify(eager)).digest('hex');
    expect(readFileSync(path, 'utf8')).toBe(JSON.stringify({ format: 'igmpswitch-state', version: 1, digest, body: eager }));
    expect(loadState(path)).toEqual({ ok: true, body: eager });
  });

  it('reports a missing file as missing', () => {
    const r = loadState(path);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.missing).toBe(true);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, t.length / 2)],
    ['not JSON', () => 'garbage'],
    ['another format', (t: string) => t.replace('igmpswitch-state', 'other')],
    ['a newer version', (t: string) => t.replace('"version":1', '"version":99')],
    ['an edited body', (t: string) => t.replace('239.1.1.1', '239.1.1.2')],
    ['a malformed body', (t: string) => t.replace('"ports":["p1","p2"]', '"ports":[1,2]')],
  ])('rejects %s, never trusting it', (_name, mutate) => {
    saveState(path, body);
    writeFileSync(path, mutate(readFileSync(path, 'utf8')));
    const r = loadState(path);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.missing).toBe(false);
      expect(r.reason).toContain(path);
    }
  });
});
