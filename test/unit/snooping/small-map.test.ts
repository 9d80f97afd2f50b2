// SmallMap (src/snooping/small-map.ts): a Map's answers and iteration order for none, one and many entries, and its
// iteration semantics: an entry deleted during an iteration is not visited if not reached yet; the current one may go.

import { describe, expect, it } from 'vitest';
import { SmallMap } from '../../../src/snooping/small-map.js';

function both(entries: Array<[string, number]>): [SmallMap<string, number>, Map<string, number>] {
  const s = new SmallMap<string, number>();
  const m = new Map<string, number>();
  for (const [k, v] of entries) { s.set(k, v); m.set(k, v); }
  return [s, m];
}

describe('SmallMap', () => {
  for (const n of [0, 1, 2, 5]) {
    it(`iterates ${n} entr${n === 1 ? 'y' : 'ies'} as a Map does, again and again`, () => {
      const [s, m] = both(Array.from({ length: n }, (_, i) => [`k${i}`, i] as [string, number]));
      for (let round = 0; round < 2; round++) {
        expect([...s.entries()]).toEqual([...m.entries()]);
        expect([...s.keys()]).toEqual([...m.keys()]);
        expect([...s.values()]).toEqual([...m.values()]);
        expect([...s]).toEqual([...m]);
        expect(s.size).toBe(m.size);
      }
    });
  }

  it('keeps insertion order through deletes and re-sets', () => {
    const [s, m] = both([['a', 1], ['b', 2], ['c', 3]]);
    for (const x of [s, m]) { x.delete('a'); x.set('d', 4); x.set('b', 5); x.set('a', 6); }
    expect([...s]).toEqual([...m]);
  });

  it('does not visit an entry deleted during the iteration before it is reached', () => {
    const [s] = both([['a', 1], ['b', 2], ['c', 3]]);
    const seen: string[] = [];
    for (const k of s.keys()) {
      seen.push(k);
      if (k === 'a') s.delete('b');
    }
    expect(seen).toEqual(['a', 'c']);
  });

  it('lets the loop delete the entry it is at', () => {
    for (const n of [1, 3]) {
      const [s] = both(Array.from({ length: n }, (_, i) => [`k${i}`, i] as [string, number]));
      const seen: number[] = [];
      for (const [k, v] of s) { seen.push(v); s.delete(k); }
      expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(s.size).toBe(0);
      expect([...s.values()]).toEqual([]);
    }
  });
});
