// Issue 11, the running switch with real kernel hosts:
//   item 1: a full MDB (dataplane.mdb_capacity 16) refuses a group; it is installed as soon as space is freed;
//   item 2: kill -9 and a restart on a fresh state file: the restored memberships filter at once, so a non-member
//           receives nothing (a cold start would flood it the start-up window long); for IGMP and, from the same
//           source, MLD (issue 12: warm restart for both families).
//
//   h1 (sender) ── p1 ┐
//                     ├── igmpswitch (own querier)
//   h2 (member) ── p2 ┤
//   h3 (member / non-member) ── p3 ┘

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonStatus, startReceiver, startSender, type IgmpswitchOptions, type Receiver, type Sender } from '../../../src/lab/index.js';
import { labSkipReason, useLab } from '../harness.js';
import { PktAgent, groupRow, groups, logEvents, querier, sleep, sw, waitSnooping, waitUntil } from './helpers.js';

const skip = labSkipReason ?? daemonStatus().reason;
const echo = process.env['IGMPSWITCH_LAB_ECHO'] ? process.stderr : null;
const LATE = '239.5.5.5';
const SSM = '232.1.1.1';

describe.skipIf(skip !== null)(`issue 11.1: a full MDB installs a refused group when space frees${skip ? ` (skipped: ${skip})` : ''}`, () => {
  // 16 entries: h2's INCLUDE {10 sources} group takes 11, five more groups 5; h3's late group does not fit.
  const lab = useLab(() => ({
    hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }],
    igmpswitch: {
      config: {
        dataplane: { mdb_capacity: 16 },
        snooping: {
          querier: { enabled: true, address: '192.0.2.254' }, query_interval: '60s', query_response_interval: '1s',
          startup_query_count: 1, last_member_query_interval: '300ms', startup_flood: 0,
        },
        state: { file: null },
      },
      echo,
    },
  }));
  let a3: PktAgent;
  const receivers: Receiver[] = [];
  let sender: Sender | null = null;

  beforeAll(async () => {
    a3 = await PktAgent.start(lab().host('h3'));
    await waitSnooping(lab());
  });

  afterAll(async () => {
    await sender?.stop().catch(() => {});
    await Promise.allSettled(receivers.map((r) => r.stop()));
    await a3?.stop();
  });

  it('the late group gets no stream while the MDB is full, and gets it once the big group leaves', async () => {
    const l = lab();
    const p2 = l.host('h2').port;
    const p3 = l.host('h3').port;
    const h2 = await startReceiver(l.host('h2'), { intervalMs: 60_000 });
    receivers.push(h2);
    const sources = Array.from({ length: 10 }, (_, i) => `198.51.100.${i + 1}`); // igmp_max_msf is 10
    for (const s of sources) await h2.join(SSM, s);
    for (let i = 1; i <= 5; i++) await h2.join(`239.1.1.${i}`);
    await waitUntil(`${SSM} with 10 sources on ${p2}`, async () => (await groupRow(l, SSM, p2))?.sources.length === 10, 5_000);
    const h3 = await startReceiver(l.host('h3'), { intervalMs: 60_000 });
    receivers.push(h3);
    await h3.join(LATE);
    await waitUntil(`${LATE} on ${p3}`, () => groupRow(l, LATE, p3), 5_000);

    sender = await startSender(l.host('h1'), { groups: [LATE], rate: 200 });
    const m0 = await a3.mark();
    await sleep(1_000);
    expect(await a3.count({ since: m0, out: false, dst: LATE, proto: 17 }), `${LATE} reached h3 with the MDB full`).toBe(0);

    for (const s of sources) await h2.leave(SSM, s);                    // frees 11 entries (after the LMQT)
    await waitUntil(`${SSM} gone`, async () => (await groups(l)).every((g) => g.group !== SSM), 5_000);
    const m1 = await a3.mark();
    await waitUntil(`${LATE} to reach h3 once space is free`, async () => (await a3.count({ since: m1, out: false, dst: LATE, proto: 17 })) >= 20, 5_000);
    expect(logEvents(l, 'mdb-full').map((e) => e['state'])).toEqual(['full', 'recovered']);
  });
});

/** The warm-restart case per family: the group, and what makes the switch the family's querier. */
const WARM_FAMILIES = [
  { title: '', group: LATE, ipv6: false, querier: { querier: { enabled: true, address: '192.0.2.254' } } },
  { title: ' (MLD)', group: 'ff0e::5:5', ipv6: true, querier: { mld: { querier: { enabled: true, version: 2 } } } },
] as const;

for (const fam of WARM_FAMILIES) describe.skipIf(skip !== null)(`issue 11.2: a warm restart does not flood${fam.title}${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const LATE = fam.group;
  const dir = join(tmpdir(), `igmpswitch-trust-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const stateFile = join(dir, 'state.json');
  beforeAll(() => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  });
  // Own querier and the default start-up window (the query response interval, 5 s): a cold start floods that long.
  const opts: IgmpswitchOptions = {
    config: {
      snooping: { ...fam.querier, query_interval: '60s', query_response_interval: '5s' },
      state: { file: stateFile },
      management: { socket: join(dir, 'ctl.sock') },
    },
    echo,
  };
  const lab = useLab(() => ({
    hosts: ['h1', 'h2', 'h3'].map((name, i) => ({ name, ...(fam.ipv6 ? { ipv6: `2001:db8:1::${i + 1}/64` } : {}) })),
    igmpswitch: opts,
  }));
  let a2: PktAgent;
  let a3: PktAgent;
  let rx: Receiver | null = null;
  let sender: Sender | null = null;

  beforeAll(async () => {
    [a2, a3] = await Promise.all([PktAgent.start(lab().host('h2')), PktAgent.start(lab().host('h3'))]);
  });

  afterAll(async () => {
    await sender?.stop().catch(() => {});
    await rx?.stop().catch(() => {});
    await Promise.allSettled([a2, a3].filter(Boolean).map((a) => a.stop()));
    try {
      await lab().destroy();
    } catch {
      /* the lab was never built */
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 and a restart on a fresh state: the member keeps the stream, the non-member gets none of it', async () => {
    const l = lab();
    const p2 = l.host('h2').port;
    if (fam.ipv6) await waitUntil('MLD snooping to filter', async () => (await querier(l)).mld?.snoopingActive, 15_000, 100);
    else await waitSnooping(l, 15_000);
    rx = await startReceiver(l.host('h2'), { join: [{ group: LATE }], intervalMs: 60_000 });
    await waitUntil(`${LATE} on ${p2}`, () => groupRow(l, LATE, p2), 5_000);
    // The daemon saves at most every 20 × its last save's duration: seconds apart on a loaded machine.
    await waitUntil('the state file to hold the membership', () => {
      try {
        return readFileSync(stateFile, 'utf8').includes(LATE);
      } catch {
        return false;
      }
    }, 15_000, 50, () => { try { return readFileSync(stateFile, 'utf8').slice(0, 3000); } catch (e) { return String(e); } });
    sender = await startSender(l.host('h1'), { groups: [LATE], rate: 200 });
    const m0 = await a2.mark();
    await waitUntil('the stream to reach h2', async () => (await a2.count({ since: m0, out: false, dst: LATE, proto: 17 })) >= 20, 5_000);

    sw(l).process.signal('SIGKILL');
    await sw(l).process.exited;
    await l.setSwitch('igmpswitch', { igmpswitch: opts });
    const tUp = Date.now();
    const m2 = await a2.mark();
    const m3 = await a3.mark();
    await sleep(3_000);                                                   // inside a cold start's 5 s window
    const policies = logEvents(l, 'policy').map((e) => e['reason']);
    expect(policies, sw(l).output().split('\n').slice(-15).join('\n')).not.toContain('startup');
    expect(await a3.count({ since: m3, out: false, dst: LATE, proto: 17, after: tUp }), 'datagrams flooded to the non-member').toBe(0);
    expect(await a2.count({ since: m2, out: false, dst: LATE, proto: 17 })).toBeGreaterThan(100);
  });
});
