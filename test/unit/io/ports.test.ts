import { describe, expect, it } from 'vitest';
import { PortError, PortSet } from '../../../src/io/ports.js';
import { LinkMonitor, type LinkChange } from '../../../src/io/link-monitor.js';
import { FakeAddon } from './fake-addon.js';

describe('PortSet', () => {
  it('io: auto takes AF_XDP where it opens and falls back to AF_PACKET with the reason elsewhere; af_xdp fails', () => {
    const f = new FakeAddon();
    f.add('nic');
    f.add('busy', { xdpError: 'another XDP program is attached to busy' });
    const warnings: string[] = [];
    const set = new PortSet([{ name: 'nic', index: 0 }, { name: 'busy', index: 1 }], { addon: f.addon, io: 'auto', warn: (m) => warnings.push(m) });
    const ports = set.openAll();
    expect(ports.map((p) => [p.name, p.io])).toEqual([['nic', 'af_xdp'], ['busy', 'af_packet']]);
    expect(warnings).toEqual([expect.stringMatching(/busy: AF_XDP not used, falling back to AF_PACKET: .*another XDP program is attached/)]);
    set.closeAll();

    const strict = new PortSet([{ name: 'busy', index: 0 }], { addon: f.addon, io: 'af_xdp' });
    expect(() => strict.openAll()).toThrowError(expect.objectContaining({ name: 'PortError', code: 'EBUSY', message: expect.stringMatching(/another XDP program/) }));
    // A port's own io wins over the set's.
    const mixed = new PortSet([{ name: 'nic', index: 0, io: 'af_packet' }], { addon: f.addon, io: 'af_xdp' });
    expect(mixed.openAll()[0]!.io).toBe('af_packet');
  });

  it('rejects bad specs up front', () => {
    const f = new FakeAddon();
    expect(() => new PortSet([{ name: 'a', index: 64 }], { addon: f.addon })).toThrow(/index 64 out of range/);
    expect(() => new PortSet([{ name: 'a', index: 0 }, { name: 'b', index: 0 }], { addon: f.addon })).toThrow(/already used by a/);
    expect(() => new PortSet([{ name: 'a', index: 0 }, { name: 'a', index: 1 }], { addon: f.addon })).toThrow(/listed twice/);
  });

  it('names the missing interface and leaves nothing open or changed (all or nothing)', () => {
    const f = new FakeAddon();
    f.add('p1', { offloads: { ...f.add('tmp').offloads, lro: true } });
    const set = new PortSet([{ name: 'p1', index: 0 }, { name: 'p2', index: 1 }], { addon: f.addon });
    let err: unknown;
    try {
      set.openAll();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PortError);
    expect(err).toMatchObject({ ifname: 'p2', code: 'ENODEV', message: expect.stringContaining('p2') });
    expect(f.open.size).toBe(0);
    expect(f.ifs.get('p1')!.offloads.lro).toBe(true); // restored
  });

  it('turns LRO off, remembers the original and restores it on closeAll', () => {
    const f = new FakeAddon();
    const p1 = f.add('p1');
    p1.offloads.lro = true;
    const set = new PortSet([{ name: 'p1', index: 0 }], { addon: f.addon });
    set.openAll();
    expect(p1.offloads.lro).toBe(false);
    expect(set.savedSettings()).toEqual({ p1: { ifindex: p1.ifindex, offloads: { lro: true } } });
    expect(set.openMask()).toBe(1n);
    set.closeAll();
    expect(p1.offloads.lro).toBe(true);
    expect(f.open.size).toBe(0);
    expect(set.savedSettings()).toEqual({});
  });

  it('keeps the first originals across a reopen of the same device', () => {
    const f = new FakeAddon();
    const p1 = f.add('p1');
    const set = new PortSet([{ name: 'p1', index: 0 }], { addon: f.addon, offloads: { lro: false, gro: true } });
    set.openAll();
    set.close(0);
    set.open(0);
    set.closeAll();
    expect(p1.offloads.gro).toBe(false);
  });

  it('does not restore onto a re-created device (new ifindex, fresh defaults)', () => {
    const f = new FakeAddon();
    f.add('p1');
    const set = new PortSet([{ name: 'p1', index: 0 }], { addon: f.addon, offloads: { gro: true } });
    set.openAll();
    set.close(0);
    const fresh = f.add('p1'); // same name, new ifindex, gro off by default
    f.calls.length = 0;
    set.closeAll();
    expect(fresh.offloads.gro).toBe(false);
    expect(f.calls.filter((c) => c.startsWith('setOffloads'))).toEqual([]);
  });

  it('fails on a required offload the driver will not change, warns on an optional one', () => {
    const f = new FakeAddon();
    const p1 = f.add('p1', { fixed: ['lro', 'gro'] });
    p1.offloads.lro = true;
    const set = new PortSet([{ name: 'p1', index: 0 }], { addon: f.addon });
    expect(() => set.openAll()).toThrow(/p1: cannot turn lro off/);
    p1.offloads.lro = false;
    const warnings: string[] = [];
    const set2 = new PortSet([{ name: 'p1', index: 0 }], { addon: f.addon, offloads: { lro: false, gro: true }, warn: (m) => warnings.push(m) });
    set2.openAll();
    expect(warnings).toEqual([expect.stringContaining('cannot turn gro on')]);
  });
});

describe('LinkMonitor', () => {
  function setup() {
    const f = new FakeAddon();
    f.add('p1');
    f.add('p2');
    const set = new PortSet([{ name: 'p1', index: 0 }, { name: 'p2', index: 1 }], { addon: f.addon });
    set.openAll();
    const mon = new LinkMonitor(set, { intervalMs: 0 });
    const seen: string[] = [];
    mon.on('change', (c: LinkChange) => seen.push(`${c.kind} ${c.name}`));
    mon.on('reopened', (p) => seen.push(`reopened ${p.name}`));
    mon.on('reopenFailed', (e) => seen.push(`reopenFailed ${e.ifname}`));
    mon.start();
    return { f, set, mon, seen };
  }

  it('with carrier: false never asks for ETHTOOL_GLINK (the rtnl_lock ioctl), so a data-plane loop can use it', () => {
    const f = new FakeAddon();
    f.add('p1');
    const set = new PortSet([{ name: 'p1', index: 0 }], { addon: f.addon });
    set.openAll();
    f.calls.length = 0; // PortSet's own checks at open are not the loop's business
    const quiet = new LinkMonitor(set, { intervalMs: 0, carrier: false });
    quiet.start();
    quiet.check();
    expect(f.calls.filter((c) => c.startsWith('linkState+carrier'))).toEqual([]);
    const plain = new LinkMonitor(set, { intervalMs: 0 });
    plain.start();
    expect(f.calls.filter((c) => c.startsWith('linkState+carrier'))).toEqual(['linkState+carrier p1']);
  });

  it('reports down and up without touching the socket', () => {
    const { f, mon, seen } = setup();
    expect(mon.check()).toEqual([]);
    f.ifs.get('p2')!.up = false;
    mon.check();
    expect(seen).toEqual(['down p2']);
    expect(mon.isUp(1)).toBe(false);
    f.ifs.get('p2')!.up = true;
    mon.check();
    expect(seen).toEqual(['down p2', 'up p2']);
    expect(f.open.get(1)).toBe('p2');
  });

  it('closes a vanished port and reopens it when it returns', () => {
    const { f, set, mon, seen } = setup();
    f.ifs.delete('p2');
    mon.check();
    expect(seen).toEqual(['gone p2']);
    expect(set.isOpen(1)).toBe(false);
    expect(f.open.has(1)).toBe(false);
    mon.check();
    expect(seen).toEqual(['gone p2']); // no repeats
    f.add('p2');
    mon.check();
    expect(seen).toEqual(['gone p2', 'back p2', 'reopened p2', 'up p2']);
    expect(set.isOpen(1)).toBe(true);
  });

  it('treats a new ifindex under the same name as gone + back', () => {
    const { f, mon, seen } = setup();
    f.add('p1');
    mon.check();
    expect(seen).toEqual(['gone p1', 'back p1', 'reopened p1', 'up p1']);
  });

  it('reports a failed reopen once and retries at every check', () => {
    const { f, mon, seen } = setup();
    f.ifs.delete('p2');
    mon.check();
    const p2 = f.add('p2', { fixed: ['lro'] });
    p2.offloads.lro = true;
    mon.check();
    mon.check();
    expect(seen).toEqual(['gone p2', 'back p2', 'reopenFailed p2']); // not "up": no socket on it yet
    p2.offloads.lro = false;
    mon.check();
    expect(seen.slice(3)).toEqual(['reopened p2', 'up p2']);
  });

  it('service() checks only when the addon saw link notifications', () => {
    const f = new FakeAddon();
    f.add('p1');
    const set = new PortSet([{ name: 'p1', index: 0 }], { addon: f.addon });
    set.openAll();
    const mon = new LinkMonitor(set, { intervalMs: 0, netlink: true });
    mon.start();
    f.ifs.get('p1')!.up = false;
    expect(mon.service()).toEqual([]);
    f.pending = true;
    expect(mon.service().map((c) => c.kind)).toEqual(['down']);
    expect(f.pending).toBe(false);
  });
});
