// Counting received control messages by type and version, and frames that could not be decoded (stats.ts holds the
// counters).

import type { WireError } from '../wire/common.js';
import type { ControlFrame } from '../wire/control-frame.js';
import type { Counters } from './stats.js';

export function countRx(counters: Counters, msg: ControlFrame): void {
  const rx = counters.rx;
  switch (msg.kind) {
    case 'igmp': {
      const m = msg.message;
      if (m.type === 'report') {
        if (m.version === 2) rx.igmp_v2_report++;
        else rx.igmp_v1_report++;
      } else if (m.type === 'v3-report') rx.igmp_v3_report++;
      else if (m.type === 'leave') rx.igmp_v2_leave++;
      else if (m.version === 3) rx.igmp_v3_query++;
      else if (m.version === 2) rx.igmp_v2_query++;
      else rx.igmp_v1_query++;
      return;
    }
    case 'mld': {
      const m = msg.message;
      if (m.type === 'query') {
        if (m.version === 2) rx.mld_v2_query++;
        else rx.mld_v1_query++;
      } else if (m.type === 'report') rx.mld_v1_report++;
      else if (m.type === 'done') rx.mld_done++;
      else rx.mld_v2_report++;
      return;
    }
    case 'pim':
      if (msg.message.type === 'hello') rx.pim_hello++;
      else rx.pim_other++;
      return;
    case 'mrd':
      if (msg.message.type === 'advertisement') rx.mrd_advertisement++;
      else if (msg.message.type === 'solicitation') rx.mrd_solicitation++;
      else rx.mrd_termination++;
      return;
  }
}

/** A frame the daemon could not decode (decodeControlFrame error): one refusal, and a count per layer and reason. */
export function countDecodeError(counters: Counters, error: WireError): void {
  counters.rejects['decode-error']++;
  const key = `${error.layer}:${error.reason}`;
  counters.decodeErrors[key] = (counters.decodeErrors[key] ?? 0) + 1;
}
