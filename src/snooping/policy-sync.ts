// The flood policy (policy.ts decides it) and the per-port flags, handed to the data plane when they change.

import type { EngineCore } from './core.js';
import { decidePolicy, policyCommand, portFlagsCommand } from './policy.js';

export function syncPolicy(e: EngineCore): void {
  // Latched: a VLAN that gets a querier after the window closed does not reopen it.
  e.firstRoundsEnd ??= e.querier.firstRoundsEnd();
  const d = decidePolicy({
    config: e.config, now: e.now, startedAt: e.startedAt, firstRoundsEnd: e.firstRoundsEnd, warmStart: e.warmStart,
    querierPresent: e.querier.anyPresent(),
  });
  const prev = e.policy;
  e.policy = d;
  if (Number.isFinite(d.until) && d.until > e.now) e.queue.arm(e.policyTimer, d.until);
  else e.queue.stop(e.policyTimer);
  if (prev !== null && prev.mode === d.mode && prev.unregistered === d.unregistered) return;
  e.pending.push(policyCommand(d));
  e.log({ type: 'policy', mode: d.mode, unregistered: d.unregistered, reason: d.reason });
}

export function syncPortFlags(e: EngineCore): void {
  if (!e.portFlagsDirty) return;
  e.portFlagsDirty = false;
  const cmd = portFlagsCommand(e.portCfg.values());
  const key = `${cmd.floodAll}/${cmd.floodReports}/${cmd.floodUnregistered}`;
  if (key === e.portFlags) return;
  e.portFlags = key;
  e.pending.push(cmd);
}
