// When the daemon writes its state file (src/mgmt/state-file.ts): often enough that a restart, even after kill -9,
// restores nearly everything (warm restart), never so often or at such a moment that the writes get in the way.
// A write is synchronous and stops the control plane for its whole duration (~0.1–0.3 s with 200 k memberships).

/** Shortest gap between two writes. */
export const STATE_SAVE_MIN_INTERVAL_MS = 500;
/** The gap grows with the cost of a write: a write takes at most 1 / this of the time (5 %). */
export const STATE_SAVE_COST_FACTOR = 20;
/**
 * A due write waits until no control frame has come for this long: in a report storm the hosts' reports would queue
 * behind the stall (and the timers of the groups already known would run late).
 */
export const STATE_SAVE_QUIET_MS = 200;
/**
 * …but a due write is not held back past this time after the state changed. (The file can be older than this only
 * when the cost-spaced interval, STATE_SAVE_COST_FACTOR × the last write's duration, is longer: the 5 % rule wins.)
 */
export const STATE_SAVE_MAX_DEFER_MS = 10_000;

/** The gap before the next write, after one that took `writeMs`. */
export function stateSaveInterval(writeMs: number): number {
  return Math.max(STATE_SAVE_MIN_INTERVAL_MS, STATE_SAVE_COST_FACTOR * writeMs);
}

/**
 * A write is due at `now` (ms, one clock for all three times): 0 = write now, else wait that many ms more
 * (`lastControlFrameAt`: when the last control frame was handled; `dirtySince`: when the state first changed after
 * the last write).
 */
export function stateSaveWait(now: number, lastControlFrameAt: number, dirtySince: number): number {
  const quietFor = now - lastControlFrameAt;
  if (quietFor >= STATE_SAVE_QUIET_MS || now - dirtySince >= STATE_SAVE_MAX_DEFER_MS) return 0;
  return Math.min(STATE_SAVE_QUIET_MS - quietFor, STATE_SAVE_MAX_DEFER_MS - (now - dirtySince));
}
