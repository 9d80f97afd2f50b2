// Entry of `igmpswitch run`; the lifecycle lives in daemon/run.ts.
export { runDaemon, type DaemonOptions } from './daemon/run.js';
