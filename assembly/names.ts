// The name table: every list of names TypeScript needs (counter names, verdict enumerations, policy values, the
// rules `trace` reports), each a static comma-separated UTF-16 string read by the loader. Section 0 names the
// sections; section "row" names the sections that make up a counter row, in memory order. The loader finds
// everything by name, so adding a counter or a drop reason is a change to AssemblyScript only.

import { ACTION_NAMES, PUNT_NAMES } from "./contract";
import { DROP_NAMES, EVENT_NAMES, GLOBAL_NAMES, MSG_NAMES, TRAFFIC_NAMES } from "./counters";
import { TABLE_NAMES } from "./pipeline";
import { MODE_NAMES, POLICY_NAMES } from "./ports";

const SECTION_NAMES = "sections,row,traffic,drop,message,event,global,action,punt,policy,mode,table";
/** A counter row is these sections back to back (counters.ts: DROP_BASE, MSG_BASE, EVENT_BASE). */
const ROW_SECTIONS = "traffic,drop,message,event";

export const SECTION_COUNT: i32 = 12;

export function section(index: i32): string {
  switch (index) {
    case 0: return SECTION_NAMES;
    case 1: return ROW_SECTIONS;
    case 2: return TRAFFIC_NAMES;
    case 3: return DROP_NAMES;
    case 4: return MSG_NAMES;
    case 5: return EVENT_NAMES;
    case 6: return GLOBAL_NAMES;
    case 7: return ACTION_NAMES;
    case 8: return PUNT_NAMES;
    case 9: return POLICY_NAMES;
    case 10: return MODE_NAMES;
    case 11: return TABLE_NAMES;
    default: return "";
  }
}
