// Router-port handling in the engine: learning and withdrawal under the querier guard, the configured static and
// never ports, and the router-port mask handed to the data plane (routers.ts keeps the learnings).

import type { PortSnoopingConfig } from './config.js';
import type { EngineCore } from './core.js';
import type { RouterVia } from './routers.js';

export function learnRouter(e: EngineCore, pc: PortSnoopingConfig, via: RouterVia, vlan: number, address: string, lifetimeMs: number): void {
  if (e.config.querierGuard && !pc.trusted) return e.reject('untrusted');
  if (pc.router === 'never') return e.reject('router-never');
  e.routerPorts.learn(pc.index, via, vlan, address, e.now + lifetimeMs);
}

export function withdrawRouter(e: EngineCore, pc: PortSnoopingConfig, via: RouterVia, vlan: number, address: string): void {
  if (e.config.querierGuard && !pc.trusted) return e.reject('untrusted');
  e.routerPorts.withdraw(pc.index, via, vlan, address);
}

export function configureRouters(e: EngineCore): void {
  const ports = [...e.portCfg.values()];
  e.routerPorts.configure(ports.filter((p) => p.router === 'static').map((p) => p.index), ports.filter((p) => p.router === 'never').map((p) => p.index));
  if (e.config.querierGuard) {
    // Learnings (and an elected querier) from ports that are no longer trusted do not count.
    for (const l of e.routerPorts.learnings()) if (!e.portCfg.get(l.port)?.trusted) e.routerPorts.forget(l);
    for (const vq of e.querier.vlans.values()) {
      if (vq.other !== null && !e.portCfg.get(vq.other.port)?.trusted) {
        e.queue.stop(vq.otherTimer);
        e.querier.otherExpired(vq);
      }
    }
  }
}

/** Hand a changed router-port mask to the data plane and log the ports added and removed. */
export function syncRouterPorts(e: EngineCore): void {
  if (e.routerPorts.version === e.routerVersion && e.config.enabled === e.routerEnabled) return;
  e.routerVersion = e.routerPorts.version;
  e.routerEnabled = e.config.enabled;
  const mask = e.config.enabled ? e.routerPorts.mask() : 0n;
  if (mask === e.routerMask) return;
  const before = e.routerMask ?? 0n;
  e.routerMask = mask;
  e.pending.push({ op: 'routerPorts', ports: mask });
  for (let p = 0; p < 64; p++) {
    const was = (before >> BigInt(p)) & 1n;
    const is = (mask >> BigInt(p)) & 1n;
    if (was !== is) e.log({ type: 'router-port', port: p, portName: e.portName(p), state: is ? 'added' : 'removed' });
  }
}
