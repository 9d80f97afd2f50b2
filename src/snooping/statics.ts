// Static groups (snooping.static_groups): loaded from the configuration, merged into the MDB by forwarding.ts.

import type { EngineCore, StaticGroup } from './core.js';
import { bit } from './forwarding.js';
import { groupKey } from './membership.js';

export function loadStatics(e: EngineCore): void {
  const next = new Map<string, StaticGroup>();
  if (e.config.enabled) {
    for (const s of e.config.staticGroups) {
      if (!e.portCfg.has(s.port) || !e.validGroup(s.group, false)) continue;
      if (s.source !== null && !e.validSource(s.source, false)) continue;
      const key = groupKey(s.vlan, s.group);
      let g = next.get(key);
      if (g === undefined) {
        g = { vlan: s.vlan, group: s.group, ports: { star: 0n, bySource: new Map() } };
        next.set(key, g);
      }
      if (s.source === null) g.ports.star |= bit(s.port);
      else g.ports.bySource.set(s.source, (g.ports.bySource.get(s.source) ?? 0n) | bit(s.port));
    }
  }
  for (const key of e.statics.keys()) e.dirty.add(key);
  for (const key of next.keys()) e.dirty.add(key);
  e.statics = next;
}
