// Issue 13.5: `show groups` HOSTS lists the hosts heard reporting a group on a port, on every port (not only on
// fast-leave ports), bounded by MAX_HOSTS_PER_PORT_GROUP; a host that leaves, or is silent for a Group Membership
// Interval, is no longer listed. Fast leave itself stays a fast-leave-port behaviour.

import { describe, expect, it } from 'vitest';
import { RecordType } from '../../../src/wire/igmp.js';
import { Harness } from './harness.js';

const G = '239.5.5.5';
const hostsOn = (h: Harness, port: number): string[] =>
  h.engine.groups().find((g) => g.group === G)?.ports.find((p) => p.port === port)?.hosts ?? [];

describe('issue 13.5: hosts heard reporting, on every port', () => {
  it('lists IGMPv3 and IGMPv2 reporters on a port without fast-leave', () => {
    const h = new Harness();
    h.record(RecordType.CHANGE_TO_EXCLUDE_MODE, G, [], 1, '192.0.2.11');
    h.v2Report(G, 1, '192.0.2.12');
    expect(hostsOn(h, 1)).toEqual(['192.0.2.11', '192.0.2.12']);
  });

  it('drops a host that leaves, without leaving the group early on a normal port', () => {
    const h = new Harness();
    h.v2Report(G, 1, '192.0.2.11');
    h.v2Report(G, 1, '192.0.2.12');
    h.leave(G, 1, '192.0.2.12');
    expect(hostsOn(h, 1)).toEqual(['192.0.2.11']);
    expect(h.pg(G, 1)).toBeDefined();
  });

  it('forgets a host not heard for a Group Membership Interval while another keeps the group', () => {
    const h = new Harness();
    const gmi = 260_000; // RFC 3376 §8.4 default: 2 × 125 s + 10 s
    h.v2Report(G, 1, '192.0.2.11');
    h.v2Report(G, 1, '192.0.2.12');
    for (let t = 0; t < gmi + 60_000; t += 60_000) {
      h.advance(60_000);
      h.v2Report(G, 1, '192.0.2.11');
    }
    expect(hostsOn(h, 1)).toEqual(['192.0.2.11']);
  });

  it('keeps the tracked hosts across a state snapshot on any port', () => {
    const h = new Harness();
    h.v2Report(G, 2, '192.0.2.21');
    const snap = h.engine.snapshot();
    const h2 = new Harness();
    h2.engine.restore(snap, h2.now);
    expect(hostsOn(h2, 2)).toEqual(['192.0.2.21']);
  });
});
