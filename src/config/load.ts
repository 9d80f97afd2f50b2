// Reading the configuration file: YAML (with positions) → zod schema → frozen Config, or a ConfigError
// whose lines read `FILE:LINE:COL: key.path: expected …, found …`.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError, locate, problemsFromIssues, problemsFromYaml, sortProblems, formatKeyPath,
  type ConfigProblem } from './errors.js';
import { formatDuration } from './duration.js';

export interface ConfigSource {
  /** The file as given (used in messages). */
  path: string;
  /** Its text, as read. */
  text: string;
}

export interface LoadedConfig {
  config: Config;
  source: ConfigSource;
  /** Accepted but questionable settings (same form as errors, severity 'warning'); the daemon logs them. */
  warnings: ConfigProblem[];
}

/** Reads and validates a configuration file. Throws ConfigError (also when the file cannot be read). */
export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new ConfigError([{ severity: 'error', file: path, line: null, col: null, keyPath: '',
      message: `cannot read the configuration file: ${why}` }]);
  }
  return parseConfig(text, path);
}

/**
 * Validates configuration text; `path` names the file in messages and anchors relative paths in it
 * (management.socket, state.file) to its directory.
 */
export function parseConfig(text: string, path: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, version: '1.2', merge: true });
  if (doc.errors.length > 0) throw new ConfigError(sortProblems(problemsFromYaml(doc.errors, path)));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1_000 });
  } catch (err) {
    throw new ConfigError([{ severity: 'error', file: path, line: 1, col: 1, keyPath: '',
      message: `YAML: ${(err as Error).message}` }]);
  }
  const result = ConfigSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(sortProblems(problemsFromIssues(result.error.issues, ConfigSchema, path, doc, lineCounter)));
  }
  const config = result.data;
  const base = dirname(resolve(path));
  const anchored = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  config.management.socket = anchored(config.management.socket);
  if (config.state.file !== null) config.state.file = anchored(config.state.file);

  const warnings = sortProblems(configWarnings(config).map(([keyPath, message]) => {
    const loc = locate(doc, lineCounter, keyPath);
    return { severity: 'warning' as const, file: path, line: loc.line, col: loc.col,
      keyPath: formatKeyPath(keyPath), message };
  }));
  return { config: deepFreeze(config) as Config, source: { path, text }, warnings };
}

/** Settings that are valid but probably not meant. */
function configWarnings(c: Config): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const s = c.snooping;
  if (s.robustness === 1) {
    out.push([['snooping', 'robustness'], 'robustness 1 tolerates no lost message: one lost report ends a membership']);
  }
  const qi = formatDuration(s.query_interval);
  for (const key of ['group_membership_interval', 'other_querier_present_interval', 'router_timeout',
    'older_host_present_interval'] as const) {
    if (s[key] <= s.query_interval) {
      out.push([['snooping', key], `${formatDuration(s[key])} is not longer than query_interval (${qi}): ` +
        'state will expire between two general queries']);
    }
  }
  if (s.querier_guard && !c.ports.some((p) => p.trusted || p.router === 'static')) {
    out.push([['snooping', 'querier_guard'], 'no port is trusted or a static router port: queries, PIM and MRD ' +
      'from every port are ignored']);
  }
  if (s.max_groups > c.dataplane.mdb_capacity) {
    out.push([['snooping', 'max_groups'], `larger than dataplane.mdb_capacity (${c.dataplane.mdb_capacity}), ` +
      'which is the real limit']);
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

