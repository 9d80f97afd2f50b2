// A ManagementApi with fixed answers, for the control socket and CLI tests.

import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { CapturedFrame, ManagementApi, StatsView, TraceParams, TraceResult } from '../../../src/mgmt/api.js';
import { startControlServer, type ControlServer } from '../../../src/mgmt/control-socket.js';
import { tempDir } from './helpers.js';

export interface FakeApi extends ManagementApi {
  /** Sends a frame to every subscriber. */
  emit(frame: CapturedFrame): void;
  readonly subscribers: number;
  /** What reload() does next: a list of changes, or an error text to throw. */
  reloadOutcome: string[] | Error;
  calls: string[];
}

export const FIXTURE = {
  groups: [
    {
      vlan: 0, group: '239.1.1.1', port: 'eth1', mode: 'exclude' as const, version: 3 as const, timerMs: 258_400,
      sources: [], hosts: ['10.0.0.11', '10.0.0.12'], static: false,
    },
    {
      vlan: 10, group: '232.1.1.1', port: 'eth2', mode: 'include' as const, version: 3 as const, timerMs: null,
      sources: [{ address: '10.0.0.99', timerMs: 200_000, blocked: false }], hosts: ['10.0.0.21'], static: false,
    },
    {
      vlan: 0, group: '239.1.1.1', port: 'eth3', mode: 'exclude' as const, version: 2 as const, timerMs: null,
      sources: [{ address: '10.0.0.7', timerMs: null, blocked: true }], hosts: [], static: true,
    },
  ],
  ports: [
    {
      index: 0, name: 'eth0', up: true, router: 'auto' as const, isRouter: true, fastLeave: false, floodAll: false,
      floodReports: false, groups: 0, rxFrames: 1200, rxBytes: 345_678, txFrames: 33, txBytes: 4567, filtered: 3, drops: 0,
    },
    {
      index: 1, name: 'eth1', up: false, router: 'never' as const, isRouter: false, fastLeave: true, floodAll: false,
      floodReports: true, groups: 1, rxFrames: '18446744073709551615', rxBytes: 0, txFrames: 0, txBytes: 0, filtered: 0, drops: 7,
    },
  ],
  routers: [
    { port: 'eth0', vlan: 0, source: 'query' as const, address: '10.0.0.1', expiresInMs: 254_000 },
    { port: 'eth4', vlan: 0, source: 'static' as const, address: '', expiresInMs: null },
  ],
  querier: {
    enabled: true, address: '10.0.0.2', version: 3 as const, state: 'non-querier' as const,
    elected: { address: '10.0.0.1', port: 'eth0', expiresInMs: 250_000 }, robustness: 2, queryIntervalMs: 125_000,
    snoopingActive: true, mode: 'snoop' as const, reason: 'querier 10.0.0.1 present',
  },
  fdb: [
    { vlan: 0, mac: '02:00:00:00:00:02', port: 'eth1', ageMs: 1500 },
    { vlan: 0, mac: '02:00:00:00:00:01', port: 'eth0', ageMs: 12_000 },
  ],
  stats: <StatsView>{
    ports: [
      { name: 'eth0', counters: { rx_frames: 10, rx_bytes: 1200, tx_frames: 5, tx_bytes: 640, filter_no_egress: 3 } },
      { name: 'eth1', counters: { rx_frames: 3, rx_bytes: 300, tx_frames: 9, tx_bytes: 900, drop_ipv4_checksum: 2, event_punt: 2 } },
    ],
    drops: { ipv4_checksum: 2 },
    filtered: { no_egress: 3 },
    messages: { igmp_v3_report: 40, igmp_v3_query: 3 },
    engine: { rx_igmp_v3_report: 40, tx_igmp_v3_general_query: 3, groups: 4 },
  },
};

export function traceAnswer(p: TraceParams): TraceResult {
  return {
    verdict: 'forward',
    matched: { table: 'mdb-g', key: { vlan: p.vlan ?? 0, group: p.dst, source: null } },
    ports: [
      { name: 'eth0', egress: true, why: 'router port (query from 10.0.0.1)' },
      { name: 'eth1', egress: p.in !== 'eth1', why: p.in === 'eth1' ? 'ingress port' : 'member (exclude {})' },
      { name: 'eth2', egress: false, why: 'not a member' },
    ],
  };
}

export function fakeApi(): FakeApi {
  const subs = new Set<(f: CapturedFrame) => void>();
  const api: FakeApi = {
    calls: [],
    reloadOutcome: ['snooping.query_interval 125s → 60s'],
    get subscribers() { return subs.size; },
    emit(frame) { for (const s of subs) s(frame); },
    async groups() { api.calls.push('groups'); return FIXTURE.groups; },
    async ports() { api.calls.push('ports'); return FIXTURE.ports; },
    async routers() { api.calls.push('routers'); return FIXTURE.routers; },
    async querier() { api.calls.push('querier'); return FIXTURE.querier; },
    async fdb() { api.calls.push('fdb'); return FIXTURE.fdb; },
    async stats() { api.calls.push('stats'); return FIXTURE.stats; },
    async trace(p) {
      api.calls.push('trace');
      if (p.in === 'nope') throw new Error('no port named nope');
      return traceAnswer(p);
    },
    async reload() {
      api.calls.push('reload');
      if (api.reloadOutcome instanceof Error) throw api.reloadOutcome;
      return { ok: true, changes: api.reloadOutcome };
    },
    subscribeControl(onFrame) {
      subs.add(onFrame);
      return () => { subs.delete(onFrame); };
    },
  };
  return api;
}

/**
 * A control server answering with a fresh fake API for each test of the enclosing describe block (beforeEach /
 * afterEach), at a socket in a temporary directory. `subscribed()` waits until a client streams control frames.
 */
export function useFakeDaemon(): { sock(): string; api(): FakeApi; subscribed(): Promise<void> } {
  let tmp: { dir: string; cleanup(): void } | null = null;
  let server: ControlServer | null = null;
  let api: FakeApi | null = null;
  beforeEach(async () => {
    tmp = tempDir();
    api = fakeApi();
    server = await startControlServer({ path: path.join(tmp.dir, 'ctl.sock'), api });
  });
  afterEach(async () => {
    await server?.close();
    tmp?.cleanup();
  });
  return {
    sock: () => path.join(tmp!.dir, 'ctl.sock'),
    api: () => api!,
    async subscribed() {
      for (let i = 0; i < 200 && api!.subscribers === 0; i++) await new Promise((r) => setTimeout(r, 10));
      if (api!.subscribers !== 1) throw new Error(`expected one subscriber, found ${api!.subscribers}`);
    },
  };
}
