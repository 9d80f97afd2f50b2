// The switch's one clock: CLOCK_MONOTONIC in milliseconds, the same in every thread of the process, so the data-plane
// thread can stamp a batch with the time it was received and the control plane can time the frames' effects from it.
// (performance.now()'s origin is per thread by the specification; process.hrtime is the process's monotonic clock.)

/** Monotonic milliseconds since an arbitrary origin, shared by all threads of the process. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
