// How the end-to-end benchmark runs igmpswitch: CPU pinning and the daemon's settings. In src/lab so that the
// benchmark (bench/contenders.ts) and the unit test that checks these settings against the schema
// (test/unit/lab/lab-pure.test.ts) share one definition.

import type { IgmpswitchOptions } from './daemon-process.js';

export const SWITCH_CPU = 1;
export const GENERATOR_CPU = 0;

/** igmpswitch's packet I/O method in the bench: AF_XDP, or what IGS_DATAPLANE_IO names (af_packet: the fallback). */
export function benchIo(): 'af_xdp' | 'af_packet' | 'auto' {
  const io = process.env['IGS_DATAPLANE_IO'];
  return io === 'af_packet' || io === 'auto' ? io : 'af_xdp';
}

/** igmpswitch settings for the bench: snooping with its querier (like the bridge), pinned to SWITCH_CPU. */
export function igmpswitchBenchOptions(busyPollUs = 0, rxRing = true): IgmpswitchOptions {
  return {
    cpu: SWITCH_CPU,
    config: {
      snooping: {
        querier: { enabled: true, address: '192.0.2.254', version: 3 },
        query_response_interval: '1s',
      },
      // AF_XDP (trafgen and the kernel complete every checksum); IGS_DATAPLANE_IO=af_packet measures the fallback.
      dataplane: { cpu: SWITCH_CPU, busy_poll_us: busyPollUs, rx_ring: rxRing, io: benchIo() },
      logging: { level: 'info' },
    },
  };
}
export const IGMPSWITCH_BENCH: IgmpswitchOptions = igmpswitchBenchOptions();

