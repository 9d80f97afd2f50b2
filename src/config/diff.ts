// What changed between two configurations, for `reload`: the daemon applies what it can live and reports the
// rest (changes marked `restart`) as needing a restart. Which keys need a restart is read from the schema.

import { formatDuration } from './duration.js';
import { fieldDoc, schemaAt, typeLabel } from './introspect.js';
import {
  ConfigSchema, PORT_OPTION_KEYS,
  type Config, type PortConfig, type PortOptionKey, type QuerierSettings, type SnoopingSettings,
  type StaticGroupConfig,
} from './schema.js';

/** Snooping keys that are timers or counts derived from the RFC 3376 §8 variables. */
export const TIMER_KEYS = [
  'robustness', 'query_interval', 'query_response_interval', 'group_membership_interval',
  'other_querier_present_interval', 'startup_query_interval', 'startup_query_count', 'last_member_query_interval',
  'last_member_query_count', 'older_host_present_interval', 'router_timeout', 'startup_flood',
  'adopt_robustness_min', 'adopt_robustness_max', 'adopt_query_interval_min', 'adopt_query_interval_max',
] as const satisfies readonly (keyof SnoopingSettings)[];
export type TimerKey = typeof TIMER_KEYS[number];

/** The other plain snooping settings (policies and limits). */
export const SNOOPING_POLICY_KEYS = [
  'enabled', 'unregistered', 'no_querier', 'max_groups', 'querier_guard', 'report_rate_limit',
] as const satisfies readonly (keyof SnoopingSettings)[];
export type SnoopingPolicyKey = typeof SNOOPING_POLICY_KEYS[number];

export const SETTING_SECTIONS = ['dataplane', 'management', 'metrics', 'logging', 'state'] as const;
export type SettingSection = typeof SETTING_SECTIONS[number];

type Scalar = string | number | boolean | null;

interface ChangeBase {
  /** Key path in the file's terms, such as `snooping.query_interval` or `ports[p2].fast_leave`. */
  path: string;
  /** True when reload cannot apply the change (the old value stays in force until a restart). */
  restart: boolean;
}

export type ConfigChange = ChangeBase & (
  | { kind: 'port-added'; port: string; config: PortConfig }
  | { kind: 'port-removed'; port: string }
  | { kind: 'port-changed'; port: string; key: PortOptionKey; from: Scalar; to: Scalar }
  | { kind: 'timer'; key: TimerKey; from: number; to: number }
  | { kind: 'snooping'; key: SnoopingPolicyKey; from: Scalar; to: Scalar }
  | { kind: 'querier'; from: QuerierSettings; to: QuerierSettings }
  | { kind: 'static-group-added'; group: StaticGroupConfig }
  | { kind: 'static-group-removed'; group: StaticGroupConfig }
  | { kind: 'setting'; section: SettingSection; key: string; from: unknown; to: unknown }
);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function groupKey(g: StaticGroupConfig): string {
  return `${g.port}|${g.vlan}|${g.group}|${g.source ?? '*'}`;
}

/**
 * The changes from `old` to `next`, in a stable order: ports, snooping timers, snooping policies, querier,
 * static groups, other settings. A port that only moved within the list is not a change.
 */
export function diffConfig(old: Config, next: Config): ConfigChange[] {
  const out: ConfigChange[] = [];

  const oldPorts = new Map(old.ports.map((p) => [p.name, p]));
  const newPorts = new Map(next.ports.map((p) => [p.name, p]));
  for (const [name] of oldPorts) {
    if (!newPorts.has(name)) out.push({ kind: 'port-removed', port: name, path: `ports[${name}]`, restart: false });
  }
  for (const [name, p] of newPorts) {
    const before = oldPorts.get(name);
    if (!before) {
      out.push({ kind: 'port-added', port: name, config: p, path: `ports[${name}]`, restart: false });
      continue;
    }
    for (const key of PORT_OPTION_KEYS) {
      if (before[key] !== p[key]) {
        // `io` picks the sockets a port is opened with: only a restart reopens them.
        out.push({ kind: 'port-changed', port: name, key, from: before[key] ?? null, to: p[key] ?? null,
          path: `ports[${name}].${key}`, restart: key === 'io' });
      }
    }
  }

  for (const key of TIMER_KEYS) {
    if (old.snooping[key] !== next.snooping[key]) {
      out.push({ kind: 'timer', key, from: old.snooping[key], to: next.snooping[key],
        path: `snooping.${key}`, restart: false });
    }
  }
  for (const key of SNOOPING_POLICY_KEYS) {
    if (old.snooping[key] !== next.snooping[key]) {
      out.push({ kind: 'snooping', key, from: old.snooping[key], to: next.snooping[key],
        path: `snooping.${key}`, restart: false });
    }
  }
  if (!same(old.snooping.querier, next.snooping.querier)) {
    out.push({ kind: 'querier', from: old.snooping.querier, to: next.snooping.querier,
      path: 'snooping.querier', restart: false });
  }

  const oldGroups = new Map(old.snooping.static_groups.map((g) => [groupKey(g), g]));
  const newGroups = new Map(next.snooping.static_groups.map((g) => [groupKey(g), g]));
  for (const [k, g] of oldGroups) {
    if (!newGroups.has(k)) {
      out.push({ kind: 'static-group-removed', group: g, path: 'snooping.static_groups', restart: false });
    }
  }
  for (const [k, g] of newGroups) {
    if (!oldGroups.has(k)) {
      out.push({ kind: 'static-group-added', group: g, path: 'snooping.static_groups', restart: false });
    }
  }

  for (const section of SETTING_SECTIONS) {
    const a = old[section] as Record<string, unknown>;
    const b = next[section] as Record<string, unknown>;
    for (const key of Object.keys(b)) {
      if (same(a[key], b[key])) continue;
      const schema = schemaAt(ConfigSchema, [section, key]);
      out.push({ kind: 'setting', section, key, from: a[key], to: b[key], path: `${section}.${key}`,
        restart: schema ? fieldDoc(schema).restart === true : true });
    }
  }
  return out;
}

/**
 * What reload can run now: `next` with every restart-only change undone (the old value stays in force until a
 * restart). Diffing the file against it later still shows those changes as pending.
 */
export function reloadableConfig(old: Config, next: Config, changes: readonly ConfigChange[]): Config {
  const sections: Record<string, Record<string, unknown>> = {};
  for (const c of changes) {
    if (!c.restart) continue;
    // Only plain settings are restart-only (see diffConfig); anything else would be a new kind of change.
    if (c.kind !== 'setting') throw new Error(`restart-only change of kind ${c.kind} cannot be held back`);
    sections[c.section] = { ...(sections[c.section] ?? next[c.section]), [c.key]: (old[c.section] as Record<string, unknown>)[c.key] };
  }
  return { ...next, ...sections } as Config;
}

/** True when some change can only take effect after a restart. */
export function needsRestart(changes: readonly ConfigChange[]): boolean {
  return changes.some((c) => c.restart);
}

function show(path: readonly (string | number)[], value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const schema = schemaAt(ConfigSchema, path);
  if (typeof value === 'number' && schema && typeLabel(schema).startsWith('duration')) return formatDuration(value);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('host' in v && 'port' in v) return String(v['host']).includes(':') ? `[${v['host']}]:${v['port']}` : `${v['host']}:${v['port']}`;
    return JSON.stringify(value);
  }
  if (path.at(-1) === 'socket_mode' && typeof value === 'number') return `0${value.toString(8)}`;
  return String(value);
}

function showGroup(g: StaticGroupConfig): string {
  return `${g.source ? `(${g.source}, ${g.group})` : g.group} on ${g.port}${g.vlan ? ` vlan ${g.vlan}` : ''}`;
}

/** One line for logs and the `reload` reply. */
export function describeChange(c: ConfigChange): string {
  const suffix = c.restart ? ' (needs a restart)' : '';
  switch (c.kind) {
    case 'port-added': return `port ${c.port} added${suffix}`;
    case 'port-removed': return `port ${c.port} removed${suffix}`;
    case 'port-changed': return `port ${c.port}: ${c.key} ${String(c.from)} → ${String(c.to)}${suffix}`;
    case 'timer': case 'snooping':
      return `${c.path} ${show(['snooping', c.key], c.from)} → ${show(['snooping', c.key], c.to)}${suffix}`;
    case 'querier': {
      const q = (v: QuerierSettings) => (v.enabled ? `on (${v.address}, IGMPv${v.version})` : 'off');
      return `querier ${q(c.from)} → ${q(c.to)}${suffix}`;
    }
    case 'static-group-added': return `static group ${showGroup(c.group)} added${suffix}`;
    case 'static-group-removed': return `static group ${showGroup(c.group)} removed${suffix}`;
    case 'setting':
      return `${c.path} ${show([c.section, c.key], c.from)} → ${show([c.section, c.key], c.to)}${suffix}`;
  }
}
