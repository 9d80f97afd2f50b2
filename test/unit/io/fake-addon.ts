// An in-memory stand-in for the packet addon's interface/port calls, for PortSet and LinkMonitor unit tests.

import type { LinkState, Offloads, OffloadSettings, PacketAddon } from '../../../src/io/packet-addon.js';
import { MAX_PORTS } from '../../../src/contract/constants.js';

export interface FakeIf {
  ifindex: number;
  up: boolean;
  offloads: Offloads;
  /** Offload keys the driver will not change. */
  fixed?: (keyof Offloads)[];
  /** openPort with io "af_xdp" throws this (as the addon does when AF_XDP cannot be set up); unset: it opens. */
  xdpError?: string;
}

export const vethOffloads = (): Offloads => ({
  gro: false, lro: false, groList: false, udpGroForwarding: false, hwGro: false, gso: true, tso: true, sg: true,
  rxcsum: true, txcsum: true, rxvlan: true, txvlan: true, rxvlanFilter: false,
});

export class FakeAddon {
  ifs = new Map<string, FakeIf>();
  open = new Map<number, string>();
  calls: string[] = [];
  pending = false;
  nextIfindex = 10;

  add(name: string, o: Partial<FakeIf> = {}): FakeIf {
    const f: FakeIf = { ifindex: this.nextIfindex++, up: true, offloads: vethOffloads(), ...o };
    this.ifs.set(name, f);
    return f;
  }

  get addon(): PacketAddon {
    const self = this;
    const impl: Partial<PacketAddon> = {
      constants: { MAX_PORTS, VNET_HDR_LEN: 10, DISCOVER_EVERY: 4 },
      linkState(name: string, options?: { carrier?: boolean }): LinkState | null {
        // ETHTOOL_GLINK (carrier) takes rtnl_lock: recorded, so tests can see who asks for it.
        if (options?.carrier !== false) self.calls.push(`linkState+carrier ${name}`);
        const f = self.ifs.get(name);
        return f ? { ifindex: f.ifindex, up: f.up, adminUp: f.up, running: f.up, carrier: f.up, mtu: 1500 } : null;
      },
      getOffloads(name: string): Offloads {
        const f = self.ifs.get(name);
        if (!f) throw Object.assign(new Error(`${name}: no such network interface`), { code: 'ENODEV' });
        return { ...f.offloads };
      },
      setOffloads(name: string, s: OffloadSettings): Offloads {
        const f = self.ifs.get(name)!;
        self.calls.push(`setOffloads ${name} ${JSON.stringify(s)}`);
        for (const [k, v] of Object.entries(s) as [keyof Offloads, boolean][]) {
          if (f.fixed?.includes(k)) throw Object.assign(new Error(`${k} is fixed`), { code: 'EOPNOTSUPP' });
          f.offloads[k] = v;
        }
        return { ...f.offloads };
      },
      openPort(name: string, index: number, o: { io?: 'af_xdp' | 'af_packet' } = {}) {
        const f = self.ifs.get(name);
        if (!f) throw Object.assign(new Error(`openPort(${name}): no such network interface`), { code: 'ENODEV' });
        if (o.io === 'af_xdp' && f.xdpError) throw Object.assign(new Error(`openPort(${name}): AF_XDP: ${f.xdpError}`), { code: 'EBUSY' });
        const io = o.io ?? 'af_packet';
        self.calls.push(`open ${index} ${name}${io === 'af_xdp' ? ' af_xdp' : ''}`);
        self.open.set(index, name);
        return { ifindex: f.ifindex, mac: '02:00:00:00:00:01', mtu: 1500, io, ...(io === 'af_xdp' ? { xdpMode: 'native' } : {}) };
      },
      closePort(index: number) {
        if (self.open.delete(index)) self.calls.push(`close ${index}`);
      },
      watchLinks() {},
      linksPending: () => self.pending,
      linkEvents: () => {
        self.pending = false;
        return [];
      },
    };
    return impl as PacketAddon;
  }
}
