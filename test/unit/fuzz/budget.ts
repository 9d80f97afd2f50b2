// How many frames a fuzz run feeds, and the tally it prints.
//
//   FUZZ_FRAMES=N   frames through the Wasm core in all (default 50 000: the CI share, well under 20 s);
//                   `npm run fuzz` sets 1 000 000. The control-plane fuzz takes FUZZ_CONTROL_FRAMES, default N / 5.
//   FUZZ_SEED=S     fast-check seed (default: random; printed on failure by fast-check).

export const FUZZ_FRAMES = positive(process.env['FUZZ_FRAMES'], 50_000);
export const FUZZ_CONTROL_FRAMES = positive(process.env['FUZZ_CONTROL_FRAMES'], Math.ceil(FUZZ_FRAMES / 5));
export const FUZZ_SEED = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);

function positive(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`fuzz: expected a positive integer, got ${v}`);
  return n;
}

/** A generous per-test timeout for `frames` frames: 1 ms per frame on a loaded VM, plus a minute. */
export function timeoutFor(frames: number): number {
  return 60_000 + frames;
}

export class Tally {
  readonly rows: { name: string; frames: number; ms: number }[] = [];

  add(name: string, frames: number, ms: number): void {
    this.rows.push({ name, frames, ms });
  }

  print(title: string): void {
    const total = this.rows.reduce((a, r) => a + r.frames, 0);
    const ms = this.rows.reduce((a, r) => a + r.ms, 0);
    const lines = this.rows.map((r) => `  ${r.name.padEnd(44)} ${String(r.frames).padStart(9)} frames ${(r.ms / 1000).toFixed(1).padStart(7)} s`);
    console.info(`[fuzz] ${title}: ${total} frames in ${(ms / 1000).toFixed(1)} s (FUZZ_FRAMES=${FUZZ_FRAMES})\n${lines.join('\n')}`);
  }
}
