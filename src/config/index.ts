// The configuration file: schema (single source of truth), loading with positioned errors, conversion to the
// engine's and the data plane's terms, and the diff used by reload.

export { ConfigSchema, MAX_PORTS, PORT_OPTION_KEYS } from './schema.js';
export type {
  Config, ConfigInput, PortConfig, PortOptionKey, SnoopingSettings, StaticGroupConfig, QuerierSettings,
  DataplaneSettings, ManagementSettings, MetricsSettings, LoggingSettings, StateSettings, FieldDoc,
} from './schema.js';
export { loadConfig, parseConfig } from './load.js';
export type { LoadedConfig, ConfigSource } from './load.js';
export { ConfigError, formatProblem } from './errors.js';
export type { ConfigProblem } from './errors.js';
export { toEngineConfig, toWorkerParams, assignPortIndices } from './translate.js';
export { diffConfig, describeChange, needsRestart, reloadableConfig, TIMER_KEYS, SNOOPING_POLICY_KEYS, SETTING_SECTIONS } from './diff.js';
export type { ConfigChange, TimerKey, SnoopingPolicyKey, SettingSection } from './diff.js';
export { parseDuration, formatDuration } from './duration.js';
