// Reload without loss (issue 5 item 2): a changed configuration is applied while learned memberships and MAC entries
// of the ports that remain are kept; a file that fails validation is refused with its error and the running
// configuration stays. Driven through the real CLI verb `igmpswitch reload` against the running daemon.

import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configYaml, daemonStatus, deepMerge, nsExec } from '../../../src/lab/index.js';
import { labSkipReason } from '../harness.js';
import { groupRow, groups, querier, sw, waitUntil } from '../snooping/helpers.js';
import { cli, useMemberLab } from './helpers.js';
import type { FdbRow } from '../../../src/mgmt/api.js';

const skip = labSkipReason ?? daemonStatus().reason;
const G = '239.7.7.7';

describe.skipIf(skip !== null)(`reload keeps state${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const { lab } = useMemberLab({
    config: {
      snooping: {
        querier: { enabled: true, address: '192.0.2.254' },
        query_interval: '30s', query_response_interval: '1s', startup_flood: 0,
      },
    },
    group: G,
    joinTimeoutMs: 5_000,
    // Unicast both ways so the FDB knows h1 and h2.
    then: async (l) => { await nsExec(l.host('h1').ns, 'ping', ['-c', '2', '-i', '0.2', l.host('h2').addr]); },
  });

  it('applies changed timers and keeps memberships and MAC entries', async () => {
    const l = lab();
    const s = sw(l);
    const before = await groups(l);
    const fdbBefore = JSON.parse((await cli(l, ['show', 'fdb', '--json'])).stdout) as FdbRow[];
    expect(fdbBefore.length).toBeGreaterThanOrEqual(2);
    writeFileSync(s.configPath, configYaml(deepMerge(s.config, { snooping: { robustness: 3, query_interval: '20s' } }), 'reload test'));
    const r = await cli(l, ['reload']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/robustness|query_interval/);
    const q = await querier(l);
    expect(q.robustness).toBe(3);
    expect(q.queryIntervalMs).toBe(20_000);
    const after = await groups(l);
    expect(after.map((g) => `${g.group}@${g.port}`)).toEqual(before.map((g) => `${g.group}@${g.port}`));
    const fdbAfter = JSON.parse((await cli(l, ['show', 'fdb', '--json'])).stdout) as FdbRow[];
    for (const e of fdbBefore) expect(fdbAfter.map((x) => x.mac)).toContain(e.mac);
  });

  it('refuses a file that fails validation, names the key, and keeps running the old configuration', async () => {
    const l = lab();
    const s = sw(l);
    writeFileSync(s.configPath, `ports: [${l.ports.join(', ')}]\nsnooping:\n  query_interval: fast\n`);
    const r = await cli(l, ['reload']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/snooping\.query_interval/);
    expect(r.stderr).toMatch(/:3:/); // line of the bad key
    const q = await querier(l);
    expect(q.robustness).toBe(3); // still the previously reloaded configuration
    expect(await groupRow(l, G, l.host('h2').port)).toBeDefined();
  });

  it('removes a port and adds it back, keeping the other ports\' memberships', async () => {
    const l = lab();
    const s = sw(l);
    const p3 = l.host('h3').port;
    const cfg = deepMerge(s.config, { snooping: { robustness: 3, query_interval: '20s' } }) as Record<string, unknown>;
    writeFileSync(s.configPath, configYaml({ ...cfg, ports: l.ports.filter((p) => p !== p3) }, 'reload test: port removed'));
    let r = await cli(l, ['reload']);
    expect(r.code, r.stderr).toBe(0);
    let portsNow = JSON.parse((await cli(l, ['show', 'ports', '--json'])).stdout) as { name: string }[];
    expect(portsNow.map((p) => p.name)).not.toContain(p3);
    expect(await groupRow(l, G, l.host('h2').port)).toBeDefined();
    writeFileSync(s.configPath, configYaml({ ...cfg, ports: l.ports }, 'reload test: port back'));
    r = await cli(l, ['reload']);
    expect(r.code, r.stderr).toBe(0);
    portsNow = JSON.parse((await cli(l, ['show', 'ports', '--json'])).stdout) as { name: string }[];
    expect(portsNow.map((p) => p.name)).toContain(p3);
    await waitUntil('h3 reachable again through the re-added port', async () => {
      const ping = await nsExec(l.host('h1').ns, 'ping', ['-c', '1', '-W', '1', l.host('h3').addr], { allowFail: true });
      return ping.code === 0 ? true : undefined;
    }, 10_000);
    expect(await groupRow(l, G, l.host('h2').port)).toBeDefined();
  });
});
