import { describe, expect, it } from 'vitest';
import { compareAddresses, formatKeyValues, formatMs, formatTable } from '../../../src/cli/table.js';

describe('formatTable', () => {
  const rows = [
    { name: 'eth0', n: 5, note: 'first' },
    { name: 'veth-long-name', n: 12345, note: '' },
  ];
  const cols = [
    { header: 'NAME', value: (r: (typeof rows)[number]) => r.name },
    { header: 'N', value: (r: (typeof rows)[number]) => String(r.n), align: 'right' as const },
    { header: 'NOTE', value: (r: (typeof rows)[number]) => r.note },
  ];

  it('aligns columns, right-aligns numbers, trims trailing blanks', () => {
    expect(formatTable(rows, cols)).toBe(
      'NAME                N  NOTE\n' +
      'eth0                5  first\n' +
      'veth-long-name  12345\n');
  });

  it('prints only the header for no rows', () => {
    expect(formatTable([], cols)).toBe('NAME  N  NOTE\n');
  });

  it('keeps each row on one line', () => {
    expect(formatTable([{ name: 'a\nb', n: 1, note: 'x\ty' }], cols)).toBe('NAME  N  NOTE\na b   1  x y\n');
  });

  it('counts characters, not bytes, for width', () => {
    expect(formatTable([{ name: '→', n: 1, note: '' }, { name: 'ab', n: 2, note: '' }], cols)).toBe('NAME  N  NOTE\n→     1\nab    2\n');
  });
});

describe('formatKeyValues', () => {
  it('aligns values', () => {
    expect(formatKeyValues([['state', 'querier'], ['query interval', '2m05s']])).toBe('state:           querier\nquery interval:  2m05s\n');
  });
});

describe('formatMs', () => {
  it.each([
    [null, '-'], [0, '0ms'], [999, '999ms'], [1000, '1.0s'], [4560, '4.5s'], [59_999, '59s'], [60_000, '1m00s'],
    [260_000, '4m20s'], [3_600_000, '1h00m'], [7_500_000, '2h05m'], [90_000_000, '1d01h'], [-1500, '-1.5s'],
  ])('%s → %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});

describe('compareAddresses', () => {
  it('sorts IPv4 numerically, other text after', () => {
    expect(['10.0.0.10', 'ff02::1', '10.0.0.9', '9.255.255.255'].sort(compareAddresses)).toEqual(['9.255.255.255', '10.0.0.9', '10.0.0.10', 'ff02::1']);
  });
});
