import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignPortIndices, ConfigError } from '../../../src/config/index.js';

describe('assignPortIndices', () => {
  it('numbers a first configuration in list order', () => {
    expect([...assignPortIndices(null, ['a', 'b', 'c'])]).toEqual([['a', 0], ['b', 1], ['c', 2]]);
  });

  it('keeps the index of every port that stays; new ports take the lowest free index', () => {
    const first = assignPortIndices(null, ['a', 'b', 'c', 'd']);
    const second = assignPortIndices(first, ['d', 'x', 'b', 'y']);
    expect(second.get('d')).toBe(3);
    expect(second.get('b')).toBe(1);
    expect(second.get('x')).toBe(0);
    expect(second.get('y')).toBe(2);
    // A port that comes back after being removed is a new port: it takes a free index, not necessarily its old one.
    const third = assignPortIndices(second, ['a', 'b']);
    expect(third.get('b')).toBe(1);
    expect(third.get('a')).toBe(0);
  });

  it('rejects more than 64 ports', () => {
    const names = Array.from({ length: 65 }, (_, i) => `p${i}`);
    expect(() => assignPortIndices(null, names)).toThrow(ConfigError);
    expect(() => assignPortIndices(null, names.slice(0, 64))).not.toThrow();
  });

  it('property: stable, unique, within 0..63, over any sequence of reloads', () => {
    const name = fc.constantFrom(...Array.from({ length: 80 }, (_, i) => `eth${i}`));
    const config = fc.uniqueArray(name, { minLength: 2, maxLength: 64 });
    fc.assert(fc.property(fc.array(config, { minLength: 1, maxLength: 8 }), (configs) => {
      let map: Map<string, number> | null = null;
      for (const names of configs) {
        const next = assignPortIndices(map, names);
        expect([...next.keys()]).toEqual(names);
        const values = [...next.values()];
        expect(new Set(values).size).toBe(values.length);
        for (const v of values) expect(v >= 0 && v < 64).toBe(true);
        if (map) for (const [n, i] of map) if (next.has(n)) expect(next.get(n)).toBe(i);
        map = next;
      }
    }));
  });
});
