// The Linux selftest tools/testing/selftests/net/forwarding/bridge_mld.sh, ported to igmpswitch between real kernel
// hosts, as bridge-igmp.test.ts ports bridge_igmp.sh:
//
//      h1 2001:db8:1::1 ── p1 ┐                 ┌ p2 ── h2 2001:db8:1::2     (h3 2001:db8:1::203 on p3: the second
//                             └── igmpswitch ──┘                            reporter of the star-exclude case)
//
// As in the selftest, the switch is the MLDv2 querier (bridge: mcast_querier 1, mcast_mld_version 2) and h1 sends the
// selftest's complete report frames byte for byte (from fe80::fc54:ff:fe04:5eba to ff02::1, Hop Limit 1, Router
// Alert); the group is ff02::cc, a link-scope group that is snooped like any other (RFC 4541 §3: only ff02::1 is
// exempt). h2 then sends one-off UDP datagrams with spoofed sources 2001:db8:1::x to ff02::cc (mausezahn -6 -A) and we
// count per source what reached h1. MDB checks use `show groups`: filter mode, source list, blocked flag, timers.
//
// Timers as in bridge-igmp.test.ts: query_interval 10s, query_response_interval 1s, last_member_query_interval 500ms
// (Last Listener Query Time 1 s), raised to 5 s by reload where the selftest raises mcast_last_member_interval.
// Between cases h1 sends TO_IN({}) instead of `bridge mdb del` and we wait until the record is gone.
// Not ported: the per-VLAN STP cases (igmpswitch has no STP port states).

import { describe } from 'vitest';
import { daemonStatus, type ConfigObject } from '../../../src/lab/index.js';
import { buildMldFrame } from '../../../src/wire/control-frame.js';
import { RecordType } from '../../../src/wire/igmp.js';
import { ICMPV6 } from '../../../src/wire/mld.js';
import { labSkipReason } from '../harness.js';
import { defineSelftestCases, SELFTEST_LMQT_MS, SELFTEST_TIMERS, useSelftestLab } from './bridge-selftest.js';
import { MLD_SELFTEST, MLD_SELFTEST_HOST, querier, waitUntil } from './helpers.js';
import { hex } from '../../../src/testkit/frames.js';

const skip = labSkipReason ?? daemonStatus().reason;

const G = 'ff02::cc';
const S = (n: number): string => `2001:db8:1::${n}`;
const LMQT_MS = SELFTEST_LMQT_MS; // Last Listener Query Time

const SNOOPING: ConfigObject = { mld: { querier: { enabled: true, version: 2 } }, ...SELFTEST_TIMERS };

describe.skipIf(skip !== null)(`bridge_mld.sh on igmpswitch${skip ? ` (skipped: ${skip})` : ''}`, () => {
  /** The switch's MLD querier address (derived from its MAC): the source of its queries. */
  let QUERIER = '';
  const { lab, hosts } = useSelftestLab({
    hosts: [{ name: 'h1', ipv6: `${S(1)}/64` }, { name: 'h2', ipv6: `${S(2)}/64` }, { name: 'h3', ipv6: `${S(203)}/64` }],
    snooping: SNOOPING,
    ready: async (l) => {
      const q = await waitUntil('MLD snooping to filter', async () => {
        const v = await querier(l);
        return v.mld?.snoopingActive ? v : undefined;
      }, 10_000, 100, async () => JSON.stringify(await querier(l)));
      QUERIER = q.mld!.address;
    },
  });

  const toIn = { type: 'v2-report' as const, records: [{ recordType: RecordType.CHANGE_TO_INCLUDE_MODE, group: G, sources: [] }] };
  defineSelftestCases({
    file: 'bridge-mld.test.ts', lab, hosts, G, S, LMQT_MS, version: 2, // MLDv2
    // `$MZ <host> -c 1 $MZPKT_…`: the selftest's complete frame, sent raw from the host's port.
    send: async (agent, pkt) => { await agent.send([hex(MLD_SELFTEST[pkt])]); },
    leaveFrame: () => buildMldFrame({ srcMac: MLD_SELFTEST_HOST.mac, src: MLD_SELFTEST_HOST.addr, dst: 'ff02::1', vlan: 0, message: toIn }),
    ownQuery: () => ({ proto: ICMPV6, info: 130, src: QUERIER }), // MLD query (RFC 3810 §5.1) from our link-local address
    // As the selftest's MLD variant: "GMI should be 5 seconds".
    shortGmi: '5s',
    title: (t) => t.replace(/^v3/, 'mldv2').replace(/(?<=[\s({,])\.(\d+)/g, '::$1').replace('-.12', '-::12'),
    logTag: '[mld]',
  });
});
