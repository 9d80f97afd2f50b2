// Link monitor: notices a port's link going down/up and its interface disappearing/reappearing, and keeps the
// PortSet in step (a vanished interface's socket is closed — it is bound to a dead ifindex — and a new socket is
// opened when an interface of that name comes back).
//
// Source of truth is polling linkState() (two ioctls per port, every intervalMs). With `netlink: true` the addon
// also subscribes to rtnetlink link notifications; receive() then wakes on a link change and the worker loop calls
// service(), so changes are seen at once instead of at the next poll.

import { EventEmitter } from 'node:events';
import type { LinkState } from './packet-addon.js';
import { PortError, type PortInfo, type PortSet } from './ports.js';

/**
 * down/up: the port stopped/started being able to pass traffic (link state, or its socket could not be reopened);
 * gone/back: the interface disappeared / an interface of that name appeared (the socket is closed / reopened).
 */
export type LinkChangeKind = 'down' | 'up' | 'gone' | 'back';

export interface LinkChange {
  kind: LinkChangeKind;
  name: string;
  index: number;
  /** Current state; null when the interface is gone. */
  state: LinkState | null;
}

export interface LinkMonitorOptions {
  /** Poll period, ms (default 200). 0 = no timer: the owner calls check()/service() itself. */
  intervalMs?: number;
  /** Also listen to rtnetlink (RTMGRP_LINK) through the addon; see service(). */
  netlink?: boolean;
  /**
   * Ask for the carrier with ETHTOOL_GLINK (default true). That ioctl takes rtnl_lock, which any `ip`/ethtool call
   * on the host may hold for milliseconds: a data-plane thread passes false (the ports' `up` uses IFF_RUNNING, which
   * follows the carrier, either way).
   */
  carrier?: boolean;
}

interface Tracked {
  ifindex: number | null; // null = absent
  up: boolean;
  needsOpen: boolean; // present but our socket is not open (reopen failed or pending)
  lastError: string;
}

export interface LinkMonitorEvents {
  change: [LinkChange];
  /** A port whose interface came back was opened again. */
  reopened: [PortInfo];
  /** Reopening failed (reported once per distinct error; retried at every check). */
  reopenFailed: [PortError];
}

export class LinkMonitor extends EventEmitter<LinkMonitorEvents> {
  readonly #ports: PortSet;
  readonly #intervalMs: number;
  readonly #netlink: boolean;
  readonly #linkOptions: { carrier: boolean };
  readonly #state = new Map<number, Tracked>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ports: PortSet, options: LinkMonitorOptions = {}) {
    super();
    this.#ports = ports;
    this.#intervalMs = options.intervalMs ?? 200;
    this.#netlink = options.netlink ?? false;
    this.#linkOptions = { carrier: options.carrier ?? true };
  }

  /** Take the current state as the baseline (no events for it) and start polling. */
  start(): void {
    for (const spec of this.#ports.specs) {
      const s = this.#ports.addon.linkState(spec.name, this.#linkOptions);
      this.#state.set(spec.index, {
        ifindex: s ? s.ifindex : null,
        up: (s?.up ?? false) && this.#ports.isOpen(spec.index),
        needsOpen: s !== null && !this.#ports.isOpen(spec.index),
        lastError: '',
      });
    }
    if (this.#netlink) this.#ports.addon.watchLinks(true);
    if (this.#intervalMs > 0 && !this.#timer) {
      this.#timer = setInterval(() => this.check(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#netlink) this.#ports.addon.watchLinks(false);
  }

  /** Last known state of a port: up (and present). */
  isUp(index: number): boolean {
    const t = this.#state.get(index);
    return !!t && t.ifindex !== null && t.up;
  }

  /**
   * For loops that call receive(): cheap (no syscall) unless receive() saw link notifications; then drain them and
   * check every port. Returns the changes found.
   */
  service(): LinkChange[] {
    if (!this.#netlink || !this.#ports.addon.linksPending()) return [];
    this.#ports.addon.linkEvents(); // content not needed: check() reads the truth for our ports
    return this.check();
  }

  /** Poll every port now; emit and return the changes. */
  check(): LinkChange[] {
    const changes: LinkChange[] = [];
    for (const spec of this.#ports.specs) {
      let t = this.#state.get(spec.index);
      if (!t) {
        t = { ifindex: null, up: false, needsOpen: true, lastError: '' };
        this.#state.set(spec.index, t);
      }
      const s = this.#ports.addon.linkState(spec.name, this.#linkOptions);
      const emit = (kind: LinkChangeKind) => {
        const c: LinkChange = { kind, name: spec.name, index: spec.index, state: s };
        changes.push(c);
        this.emit('change', c);
      };
      // Same name, new ifindex: the interface was deleted and re-created between two polls.
      if (t.ifindex !== null && (!s || s.ifindex !== t.ifindex)) {
        this.#ports.close(spec.index);
        t.ifindex = null;
        t.up = false;
        emit('gone');
      }
      if (!s) continue;
      if (t.ifindex === null) {
        t.ifindex = s.ifindex;
        t.needsOpen = true;
        emit('back');
      }
      if (t.needsOpen) this.#reopen(spec.index, t);
      // "up" means the port can pass traffic: link up and our socket open on it.
      const up = s.up && !t.needsOpen;
      if (up !== t.up) {
        t.up = up;
        emit(up ? 'up' : 'down');
      }
    }
    return changes;
  }

  #reopen(index: number, t: Tracked): void {
    try {
      const info = this.#ports.open(index);
      t.needsOpen = false;
      t.lastError = '';
      this.emit('reopened', info);
    } catch (e) {
      const err = e instanceof PortError ? e : new PortError(String(e), '', 'EUNKNOWN', { cause: e });
      if (err.message !== t.lastError) {
        t.lastError = err.message;
        this.emit('reopenFailed', err);
      }
    }
  }
}
