// RFC 3376 §7.3.2 "In the Presence of Older Version Group Members": per port-group
// Older Version Host Present timers and the translation of messages in compatibility mode.
//
// "IGMPv3 routers keep a compatibility mode per group record." (Here: per port-group, since a port is
// our "attached network".) The mode follows two timers:
//
//   Group Compatibility Mode   Timer State
//   IGMPv3 (default)           IGMPv2 Host Present not running and IGMPv1 Host Present not running
//   IGMPv2                     IGMPv2 Host Present running and IGMPv1 Host Present not running
//   IGMPv1                     IGMPv1 Host Present running
//
// "The IGMPv1 Host Present timer is set to Older Version Host Present Timeout seconds whenever an
//  IGMPv1 Membership Report is received. The IGMPv2 Host Present timer is set to Older Version Host
//  Present Timeout seconds whenever an IGMPv2 Membership Report is received." (§8.13: RV × QI + QRI.)
//
// Translations (§7.3.2):
//   IGMPv1 / IGMPv2 Report  ≡ IS_EX( {} )
//   IGMPv2 Leave            ≡ TO_IN( {} )
//   In IGMPv2 mode: "IGMPv3 BLOCK messages are ignored, as are source-lists in TO_EX() messages
//                    (i.e., any TO_EX() message is treated as TO_EX( {} ))."
//   In IGMPv1 mode: the same, and in addition IGMPv2 Leave messages and IGMPv3 TO_IN() messages are
//                   ignored (a v1 host cannot leave, so no leave-like message may shorten the group).

import { RecordType } from '../wire/igmp.js';
import type { PortGroup } from './membership.js';
import { type DeadlineQueue, Timer, TimerKind } from './timers.js';

export type CompatMode = 1 | 2 | 3;

/** The Group Compatibility Mode of `pg` (table above). */
export function compatMode(pg: PortGroup | undefined): CompatMode {
  if (pg === undefined) return 3;
  if (pg.v1Host?.running) return 1;
  if (pg.v2Host?.running) return 2;
  return 3;
}

/** An IGMPv1 or IGMPv2 report was heard for `pg`: (re)start the Host Present timer. */
export function noteOlderHost(queue: DeadlineQueue, pg: PortGroup, version: 1 | 2, now: number, olderHostPresentMs: number): void {
  if (version === 1) {
    pg.v1Host ??= new Timer(TimerKind.V1Host, pg);
    queue.arm(pg.v1Host, now + olderHostPresentMs);
  } else {
    pg.v2Host ??= new Timer(TimerKind.V2Host, pg);
    queue.arm(pg.v2Host, now + olderHostPresentMs);
  }
}

/** A record after translation, or null when the mode says to ignore it. */
export interface Translated {
  recordType: number;
  sources: ReadonlySet<string>;
}

const EMPTY: ReadonlySet<string> = new Set();

/** Translate an IGMPv3 group record for the port-group's compatibility mode. */
export function translateRecord(mode: CompatMode, recordType: number, sources: ReadonlySet<string>): Translated | null {
  if (mode === 3) return { recordType, sources };
  // IGMPv2 and IGMPv1 mode:
  if (recordType === RecordType.BLOCK_OLD_SOURCES) return null;                       // BLOCK ignored
  if (recordType === RecordType.CHANGE_TO_EXCLUDE_MODE) return { recordType, sources: EMPTY }; // TO_EX(S) → TO_EX({})
  if (mode === 1 && recordType === RecordType.CHANGE_TO_INCLUDE_MODE) return null;    // TO_IN ignored in v1 mode
  return { recordType, sources };
}

const IS_EX_EMPTY: Translated = { recordType: RecordType.MODE_IS_EXCLUDE, sources: EMPTY };
const TO_IN_EMPTY: Translated = { recordType: RecordType.CHANGE_TO_INCLUDE_MODE, sources: EMPTY };

/** IGMPv1/v2 report ≡ IS_EX({}). */
export function translateOlderReport(): Translated {
  return IS_EX_EMPTY;
}

/** IGMPv2 Leave ≡ TO_IN({}); ignored in IGMPv1 mode. */
export function translateLeave(mode: CompatMode): Translated | null {
  return mode === 1 ? null : TO_IN_EMPTY;
}
