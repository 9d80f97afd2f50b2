// Shared bits of the lab agents (plain Node ESM, no dependencies: they run with `node` inside a namespace).

import { readFileSync } from 'node:fs';
import { parseArgs as parseNodeArgs } from 'node:util';

/**
 * Parse an agent's arguments with node:util parseArgs, as the CLI does. `options` declares every --key
 * ({ type: 'string' | 'boolean', multiple?: true } — repeated keys collect into an array); an unknown option or a
 * missing value is an error. Returns { _: positionals, ...values }.
 */
export function parseArgs(argv, options) {
  const { values, positionals } = parseNodeArgs({ args: argv, options, allowPositionals: true, strict: true });
  return { _: positionals, ...values };
}

export function list(v) {
  if (v === undefined || v === true) return [];
  return [].concat(v).flatMap((x) => String(x).split(',')).filter(Boolean);
}

export function num(v, dflt) {
  if (v === undefined || v === true) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
}

/** Print one JSON line on stdout. */
export function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** High-resolution wall-clock milliseconds (comparable between processes on one machine). */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

/** rx/tx counters of an interface in this namespace, or null if it cannot be read. */
export function ifCounters(ifname) {
  if (!ifname) return null;
  try {
    const rd = (k) => Number(readFileSync(`/sys/class/net/${ifname}/statistics/${k}`, 'utf8'));
    return { rxPackets: rd('rx_packets'), rxBytes: rd('rx_bytes'), txPackets: rd('tx_packets'), txBytes: rd('tx_bytes') };
  } catch {
    return null;
  }
}

/** Lab payload header: magic, sequence number, group index, send time. */
export const MAGIC = 0x49475331; // "IGS1"
export const HEADER_BYTES = 20;

export function onTerminate(fn) {
  let done = false;
  const h = () => {
    if (done) return;
    done = true;
    fn();
  };
  process.on('SIGTERM', h);
  process.on('SIGINT', h);
  return h;
}
