// A small, fast, seeded PRNG (mulberry32) for expanding a fast-check seed into frame bytes. fast-check chooses the
// recipe of every frame (which base frame, which family of mutations, a 32-bit seed); this expands the details.
// Same seed, same bytes: a failing case is reproduced from its recipe alone (printed in the failure message).

export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform u32. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() < p * 0x1_0000_0000;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  byte(): number {
    return this.u32() & 0xff;
  }

  fill(b: Uint8Array, from = 0, to = b.length): Uint8Array {
    let i = from;
    for (; i + 4 <= to; i += 4) {
      const v = this.u32();
      b[i] = v;
      b[i + 1] = v >>> 8;
      b[i + 2] = v >>> 16;
      b[i + 3] = v >>> 24;
    }
    for (; i < to; i++) b[i] = this.byte();
    return b;
  }

  bytes(n: number): Uint8Array {
    return this.fill(new Uint8Array(n));
  }
}
