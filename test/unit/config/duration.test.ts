import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../../src/config/index.js';

describe('durations', () => {
  it.each([
    [10, 10_000], [0.5, 500], [0, 0], ['500ms', 500], ['10s', 10_000], ['2m', 120_000], ['1h', 3_600_000],
    ['1m30s', 90_000], ['1.5s', 1_500], ['31.25s', 31_250], [' 2m 5s ', 125_000],
  ])('%j → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each([['10'], ['10 seconds'], ['s'], [''], [-1], [Infinity], [Number.NaN], [null], [true], ['1d'], ['-5s']])(
    'rejects %j', (input) => expect(parseDuration(input)).toBeNull());

  it('formats as written', () => {
    expect([125_000, 500, 31_250, 120_000, 3_600_000, 0, 90_000].map(formatDuration))
      .toEqual(['125s', '500ms', '31.25s', '2m', '1h', '0s', '90s']);
  });

  it('property: formatting round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2_000_000_000 }), (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }));
  });
});
