// Issue 13: what the operator reads must be true. Unit tests for the parts that need no running switch;
// test/netns/mgmt/operator-surface.test.ts checks the same against a running switch.

import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.js';
import { renderQuerier, renderTrace } from '../../../src/cli/render.js';
import { terminalColumns } from '../../../src/lab/demo.js';
import type { QuerierView } from '../../../src/mgmt/api.js';
import { expectProblem } from '../config/helpers.js';

describe('issue 13.8: show querier, the static-groups limit, the demo width', () => {
  const self: QuerierView = {
    enabled: true, address: '192.0.2.254', version: 3, state: 'querier', elected: null,
    robustness: 2, queryIntervalMs: 125_000, snoopingActive: true, mode: 'snoop', reason: 'this switch is the querier',
  };

  it('show querier names this switch as querier without an expiry', () => {
    const text = renderQuerier(self);
    expect(text).toContain('querier:         this switch (192.0.2.254)\n');
    expect(text).not.toMatch(/expires/);
    // What the daemon answered before (a 0 ms "expiry" for itself) must not print one either.
    expect(renderQuerier({ ...self, elected: { address: '192.0.2.254', port: '(this switch)', expiresInMs: 0 } }))
      .not.toMatch(/expires in 0ms/);
  });

  it('show querier names this switch as MLD querier with its link-local address, as for IGMP (issue 12)', () => {
    const mld = {
      snooping: true, enabled: true, address: 'fe80::200:5eff:fe00:1', version: 2 as const, state: 'querier' as const,
      elected: { address: 'fe80::200:5eff:fe00:1', port: '(this switch)', expiresInMs: 0 }, snoopingActive: true,
      mode: 'snoop' as const, reason: 'this switch is the querier',
    };
    const text = renderQuerier({ ...self, mld });
    expect(text).toContain('MLD querier:      this switch (fe80::200:5eff:fe00:1)\n');
    expect(text).not.toMatch(/expires/);
    expect(renderQuerier({ ...self, mld: { ...mld, state: 'non-querier', elected: { address: 'fe80::1', port: 'swp2', expiresInMs: 9_000 } } }))
      .toContain('MLD querier:      fe80::1 on swp2 (expires in 9.0s)\n');
  });

  it('a static-groups list over the limit names the limit', () => {
    let text = 'ports: [p1, p2]\nsnooping:\n  static_groups:\n';
    for (let i = 0; i < 4097; i++) text += `    - {port: p1, group: 239.1.${i >> 8}.${i & 255}}\n`;
    expectProblem(text, { line: 4, col: 5, keyPath: 'snooping.static_groups', says: ['expected list of mappings (at most 4,096 entries)', 'found a list of 4,097 entries'] });
  });

  it('the demo draws 80 columns when the terminal reports 0 (script, CI logs)', () => {
    expect(terminalColumns({ columns: 0 })).toBe(80);
    expect(terminalColumns({})).toBe(80);
    expect(terminalColumns({ columns: 132 })).toBe(132);
  });
});

describe('issue 13.6: trace', () => {
  async function run(args: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const code = await runCli(args, { stdout: { write: () => true }, stderr: { write: (c: string) => { err += c; return true; } } });
    return { code, err };
  }

  it('a unicast --dst is a usage error, before asking the daemon', async () => {
    const r = await run(['trace', '--in', 'eth0', '--dst', '10.0.0.5', '--socket', '/nonexistent/igmpswitch.sock']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--dst must be an IPv4 multicast group.*got "10.0.0.5"/);
  });

  it('without --src the frame is "any source", and the unregistered policy is shown', () => {
    const text = renderTrace({ in: 'eth1', dst: '239.1.1.1' }, {
      verdict: 'drop', reason: 'no_egress', matched: { table: 'unregistered', key: null },
      explanation: 'unregistered group (no membership): snooping.unregistered: routers sends it to router ports only; router ports: none',
      ports: [{ name: 'eth1', egress: false, why: 'ingress port (never sent back)' }],
    });
    expect(text).toContain('frame:    any source → 239.1.1.1 arriving on eth1\n');
    expect(text).toContain('why:      unregistered group (no membership): snooping.unregistered: routers');
  });
});
