// When the state file is written (src/daemon/state-save.ts): a due write waits while control frames keep coming, at
// most STATE_SAVE_MAX_DEFER_MS after the state changed; the gap between writes grows with their cost.

import { describe, expect, it } from 'vitest';
import {
  STATE_SAVE_MAX_DEFER_MS, STATE_SAVE_MIN_INTERVAL_MS, STATE_SAVE_QUIET_MS, stateSaveInterval, stateSaveWait,
} from '../../../src/daemon/state-save.js';

describe('state-file write schedule', () => {
  it('writes at once when no control frame came for the quiet time', () => {
    expect(stateSaveWait(10_000, 10_000 - STATE_SAVE_QUIET_MS, 9_000)).toBe(0);
    expect(stateSaveWait(10_000, -Infinity, 9_000)).toBe(0); // none ever came
  });

  it('waits out the rest of the quiet time while frames keep coming', () => {
    expect(stateSaveWait(10_000, 9_950, 9_000)).toBe(STATE_SAVE_QUIET_MS - 50);
    expect(stateSaveWait(10_000, 10_000, 9_000)).toBe(STATE_SAVE_QUIET_MS);
  });

  it('never holds the file back longer than the bound after the state changed', () => {
    expect(stateSaveWait(20_000, 20_000, 20_000 - STATE_SAVE_MAX_DEFER_MS)).toBe(0);
    expect(stateSaveWait(20_000, 20_000, 20_000 - STATE_SAVE_MAX_DEFER_MS + 50)).toBe(50); // the bound comes first
  });

  it('spaces writes by their cost, not below the minimum', () => {
    expect(stateSaveInterval(1)).toBe(STATE_SAVE_MIN_INTERVAL_MS);
    expect(stateSaveInterval(300)).toBe(6_000);
  });
});
