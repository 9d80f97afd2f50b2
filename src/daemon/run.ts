// `igmpswitch run --config FILE`: the daemon's process lifecycle. Starts the switch, the control socket and the
// metrics endpoint, logs one "forwarding" line when frames flow, reloads on SIGHUP (or `igmpswitch reload`), and on
// SIGTERM/SIGINT saves memberships, restores interface settings and exits 0.

import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import { ConfigError, type ConfigProblem } from '../config/errors.js';
import type { Config } from '../config/schema.js';
import { createLogger, reconfigureLogger } from '../mgmt/log.js';
import { startControlServer, type ControlServer } from '../mgmt/control-socket.js';
import { startMetricsServer, type MetricsServer } from '../mgmt/metrics.js';
import type { ReloadResult } from '../mgmt/api.js';
import { loadPacketAddon } from '../io/packet-addon.js';
import { Switch } from './switch.js';
import { SwitchManagement } from './management.js';
import { InstanceLocks } from './instance-lock.js';
import { stopWithLauncher } from './launcher.js';
import { tuneDaemonHeap } from './heap.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface DaemonOptions {
  configPath: string;
}

export async function runDaemon(opts: DaemonOptions): Promise<void> {
  tuneDaemonHeap();
  let config: Config;
  let warnings;
  try {
    ({ config, warnings } = loadConfig(opts.configPath));
  } catch (err) {
    process.stderr.write(`igmpswitch: ${err instanceof ConfigError ? 'invalid configuration:\n' : ''}${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  const log = createLogger(config.logging);
  logWarnings(log, warnings);

  // Every refusal to start: one JSON log line and one plain line on stderr, exit status 1.
  const refuse = (err: unknown): void => {
    const message = (err as Error).message;
    log.error({ event: 'start-failed' }, message);
    process.stderr.write(`igmpswitch: cannot start: ${message}\n`);
    process.exitCode = 1;
  };

  // Locks first: a refused daemon must not touch the state file, the interface settings or the ports of the one
  // that holds them.
  let locks: InstanceLocks;
  let sw: Switch;
  try {
    locks = InstanceLocks.acquire(config, loadPacketAddon());
  } catch (err) {
    refuse(err);
    return;
  }
  try {
    sw = await Switch.start(config, log);
  } catch (err) {
    locks.release();
    refuse(err);
    return;
  }
  // Again: node applies its V8 options anew when a worker thread starts, which undid the flags set above once the
  // data-plane worker was online (the young generation then grew to 2 × 16 MB under a report blast; heap.ts).
  tuneDaemonHeap();

  const version = packageVersion();
  let metrics: MetricsServer | null = null;
  let ctl: ControlServer | null = null;
  let reloading = false;

  const reload = async (): Promise<ReloadResult> => {
    if (reloading) throw new Error('a reload is already running');
    reloading = true;
    try {
      let loaded: ReturnType<typeof loadConfig>;
      try {
        loaded = loadConfig(opts.configPath);
      } catch (err) {
        // The client says "the running configuration stays" itself; the error goes to it as it is.
        log.error({ event: 'reload-refused', file: opts.configPath }, `reload refused, the running configuration stays:\n${(err as Error).message}`);
        throw new ReloadRefused((err as Error).message);
      }
      const warnings = logWarnings(log, loaded.warnings);
      const before = sw.config;
      const file = loaded.config;
      const beforePorts = new Set(before.ports.map((p) => p.name));
      const nextPorts = new Set(file.ports.map((p) => p.name)); // ports are reloadable: the file's list applies
      const added = [...nextPorts].filter((n) => !beforePorts.has(n));
      const removed = [...beforePorts].filter((n) => !nextPorts.has(n));
      locks.lockPorts(added); // throws (nothing applied) when another igmpswitch holds a new port
      let applied: string[];
      let notApplied: string[];
      try {
        ({ applied, notApplied } = sw.reload(file)); // restart-only changes are held back, not refused
      } catch (err) {
        locks.releasePorts(added);
        throw err;
      }
      locks.releasePorts(removed);
      const next = sw.config;
      reconfigureLogger(log, next.logging);
      if (JSON.stringify(before.metrics) !== JSON.stringify(next.metrics)) {
        await metrics?.close();
        metrics = null;
        if (next.metrics.enabled) metrics = await startMetricsServer(next.metrics.listen, () => api.metrics(), { logger: log });
      }
      log.info({ event: 'config-reloaded', file: opts.configPath, changes: applied }, `configuration reloaded: ${applied.length} change(s)`);
      if (notApplied.length > 0) {
        log.warn({ event: 'reload-needs-restart', changes: notApplied }, `not applied until a restart: ${notApplied.join('; ')}`);
      }
      return { ok: true, changes: applied, notApplied, warnings };
    } catch (err) {
      if (!(err instanceof ReloadRefused)) log.error({ event: 'reload-failed' }, (err as Error).message);
      throw err;
    } finally {
      reloading = false;
    }
  };

  const api = new SwitchManagement(sw, reload, version);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'stopping', signal }, `stopping (${signal})`);
    const hardStop = setTimeout(() => { log.error('stop took too long; exiting'); process.exit(1); }, 8_000);
    hardStop.unref();
    try { await ctl?.close(); } catch { /* ignore */ }
    try { await metrics?.close(); } catch { /* ignore */ }
    try { await sw.stop(); } catch (err) { log.error((err as Error).message); }
    locks.release();
    log.info({ event: 'stopped' }, 'stopped; interface settings restored');
    clearTimeout(hardStop);
    process.exit(process.exitCode ?? 0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => { reload().catch(() => { /* logged */ }); });
  // Under npx/npm: stop (as on SIGTERM) when the launcher exits, so stopping the command the user started stops us.
  if (stopWithLauncher(loadPacketAddon())) log.debug({ event: 'launcher-watch' }, 'launched by npm: stops when its launcher exits');

  try {
    ctl = await startControlServer({ path: config.management.socket, mode: config.management.socket_mode, api, log });
    if (config.metrics.enabled) metrics = await startMetricsServer(config.metrics.listen, () => api.metrics(), { logger: log });
  } catch (err) {
    refuse(err);
    await shutdown('start-failed');
    return;
  }

  log.info({
    event: 'forwarding', version, ports: [...sw.ports.values()].map((p) => p.name),
    snooping: config.snooping.enabled, querier: config.snooping.querier.enabled ? config.snooping.querier.address : null,
    socket: config.management.socket, metrics: metrics ? `${metrics.host}:${metrics.port}` : null,
  }, 'forwarding');
}

/** A configuration file that does not load: nothing of it is applied. */
class ReloadRefused extends Error {}

/** Logs the configuration's warnings (at start-up and on every reload, the same way); returns them as lines. */
function logWarnings(log: Logger, warnings: readonly ConfigProblem[]): string[] {
  return warnings.map((w) => {
    const line = `${w.file}:${w.line ?? '?'}:${w.col ?? '?'}: ${w.keyPath}: ${w.message}`;
    log.warn({ event: 'config-warning', key: w.keyPath }, line);
    return line;
  });
}

export type { Logger };
