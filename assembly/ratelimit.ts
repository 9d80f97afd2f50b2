// Per-port token bucket for membership reports and leaves: a host (or attacker) flooding reports must not swamp
// the control plane, and what it floods is not forwarded either. Rate 0 = unlimited.
//
// Bucket, 16 bytes per port: u32 milli-tokens | u32 last refill (ms) | 8 B reserved. Milli-tokens make the
// refill exact at any rate: elapsed_ms × perSecond milli-tokens per elapsed interval.

import { MAX_PORTS } from "./contract";

const TOKENS: usize = 0;
const LAST_MS: usize = 4;
export const BUCKET_SIZE: u32 = 16;
const MILLI: u32 = 1000;

let base: usize = 0;
let perSecond: u32 = 0;
let burstMilli: u32 = 0;

export function limiterBytes(): usize {
  return <usize>(MAX_PORTS * BUCKET_SIZE);
}

export function limiterPlace(at: usize): void {
  base = at;
  memory.fill(at, 0, limiterBytes());
}

/** Allow `rate` reports per second per port with bursts of `burst` (at least 1); buckets start full. */
export function setReportRate(rate: u32, burst: u32): void {
  perSecond = rate;
  burstMilli = <u32>min<u64>(<u64>max<u32>(burst, 1) * MILLI, 0xffffffff);
  for (let p: u32 = 0; p < MAX_PORTS; p++) {
    const b = base + <usize>(p * BUCKET_SIZE);
    store<u32>(b, burstMilli, TOKENS);
    store<u32>(b, 0, LAST_MS);
  }
}

/** Take one token from the port's bucket; false when it is empty. Without `take`, only tell (for trace). */
export function takeReportToken(port: u32, now: u32, take: bool): bool {
  if (perSecond == 0) return true;
  const b = base + <usize>(port * BUCKET_SIZE);
  // (2^32 − 1)² < 2^64: the product cannot overflow.
  const refill = <u64>(now - load<u32>(b, LAST_MS)) * <u64>perSecond;
  let tokens = <u32>min<u64>(<u64>load<u32>(b, TOKENS) + refill, <u64>burstMilli);
  const ok = tokens >= MILLI;
  if (!take) return ok;
  if (ok) tokens -= MILLI;
  store<u32>(b, now, LAST_MS);
  store<u32>(b, tokens, TOKENS);
  return ok;
}
