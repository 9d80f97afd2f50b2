// The growable buffers on the way between the threads (command-codec.ts, punt-batch.ts) double when full.

/** A copy of `a` in a new array of at least `atLeast` elements, doubling `a`'s length until it fits. */
export function grownCopy<T extends Uint8Array | Uint32Array>(a: T, atLeast: number): T {
  let size = Math.max(1, a.length) * 2;
  while (size < atLeast) size *= 2;
  const next = new (a.constructor as new (n: number) => T)(size);
  next.set(a);
  return next;
}
