// Durations in the config file: a number of seconds (fractions allowed) or a string with units,
// e.g. "500ms", "10s", "2m", "1h", "1m30s". Inside the program every duration is whole milliseconds.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)/y;

/** Longest duration a Node.js timer can wait (2^31 - 1 ms, about 24.8 days); longer values would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

export const DURATION_SYNTAX = 'seconds, or a string with a unit: "500ms", "10s", "2m", "1h", "1m30s"';

/**
 * Parses a duration as written in the config file into milliseconds (rounded to the nearest whole millisecond).
 * Returns null when the value is not a duration (wrong type, no unit, negative, not finite).
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    return Math.round(value * 1_000);
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return null;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = PART.lastIndex;
    while (text[pos] === ' ') pos++;
  }
  return Number.isFinite(total) ? Math.round(total) : null;
}

/** Formats milliseconds the way a person would write them in the config file ("125s", "500ms", "31.25s", "2m"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms < 1_000) return `${ms}ms`;
  return `${ms / 1_000}s`;
}
