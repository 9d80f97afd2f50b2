// The management namespace tests' common start (operator-surface.test.ts, reload.test.ts): a lab of three kernel
// hosts around igmpswitch with the file's configuration, snooping filtering, and h2 a member of one group through a
// kernel receiver; and the real CLI run against the daemon from inside the switch namespace.

import { afterAll, beforeAll } from 'vitest';
import { labCliPath, nodeBin, nsExec, startReceiver, type ConfigObject, type Lab, type Receiver } from '../../../src/lab/index.js';
import { useLab } from '../harness.js';
import { groupRow, sw, waitSnooping, waitUntil } from '../snooping/helpers.js';

/** `igmpswitch ARGS --socket S` inside the switch namespace: exit code and output (a failing exit is a result). */
export async function cli(lab: Lab, args: string[], timeoutMs?: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const s = sw(lab);
  const r = await nsExec(lab.switchNs, nodeBin(), [labCliPath(), ...args, '--socket', s.socketPath],
    { allowFail: true, ...(timeoutMs ? { timeoutMs } : {}) });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

export interface MemberLabOptions {
  /** igmpswitch's configuration (the state file is always off). */
  config: ConfigObject;
  /** The group h2's receiver joins. */
  group: string;
  /** How long the membership may take to show. */
  joinTimeoutMs: number;
  /** More set-up once h2 is a member (traffic the file's checks count on, say). */
  then?: (lab: Lab) => Promise<void>;
  /** Timeout of the whole set-up. */
  setupTimeoutMs?: number;
}

/** h1, h2, h3 around igmpswitch; once snooping filters, h2's receiver joins `group`. The receiver stops after the file. */
export function useMemberLab(o: MemberLabOptions): { lab: () => Lab; receiver: () => Receiver } {
  const lab = useLab(() => ({
    hosts: [{ name: 'h1' }, { name: 'h2' }, { name: 'h3' }],
    igmpswitch: { config: { ...o.config, state: { file: null } } },
  }));
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    const l = lab();
    await waitSnooping(l);
    receiver = await startReceiver(l.host('h2'), { join: [{ group: o.group }], intervalMs: 60_000 });
    await waitUntil(`${o.group} on h2's port`, () => groupRow(l, o.group, l.host('h2').port), o.joinTimeoutMs);
    await o.then?.(l);
  }, o.setupTimeoutMs);
  afterAll(async () => { await receiver?.stop(); });
  return {
    lab,
    receiver: () => {
      if (!receiver) throw new Error('receiver not started (beforeAll failed?)');
      return receiver;
    },
  };
}
