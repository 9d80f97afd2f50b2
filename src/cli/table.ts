// Plain-text tables and value formatting for the CLI. No colours, no box drawing: output that greps and diffs well.

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Numbers read best right-aligned. Default left. */
  align?: 'left' | 'right';
}

/** Text width in terminal columns, close enough for addresses, names and numbers (counts code points). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, w: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

/**
 * Aligned columns separated by two spaces, a header line first, no trailing blanks, ending in a newline.
 * Cell text is used as is, except that line breaks and tabs become spaces so a row stays one line.
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r).replace(/[\r\n\t]/g, ' ')));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((row) => width(row[i]!))));
  const line = (values: readonly string[]): string =>
    values.map((v, i) => pad(v, widths[i]!, columns[i]!.align ?? 'left')).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** `key:  value` lines with the values aligned. */
export function formatKeyValues(pairs: readonly (readonly [string, string])[]): string {
  const w = Math.max(0, ...pairs.map(([k]) => width(k) + 1));
  return pairs.map(([k, v]) => `${pad(k + ':', w, 'left')}  ${v}`.trimEnd()).join('\n') + (pairs.length ? '\n' : '');
}

/**
 * Milliseconds for people: "350ms", "4.5s", "59s", "4m20s", "2h05m", "3d04h". null → "-".
 * Below a minute, one decimal under 10 s; above, two units.
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 0) return '-' + formatMs(-ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 10) return `${(Math.floor(s * 10) / 10).toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const total = Math.floor(s);
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  if (total < 86_400) return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(total / 86_400)}d${String(Math.floor((total % 86_400) / 3600)).padStart(2, '0')}h`;
}

/** Sort key for IPv4 dotted quads (others sort after, as text). */
export function ipv4Key(addr: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  if (!m) return Number.MAX_SAFE_INTEGER;
  return ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]);
}

export function compareAddresses(a: string, b: string): number {
  return ipv4Key(a) - ipv4Key(b) || (a < b ? -1 : a > b ? 1 : 0);
}
