import { expect } from 'vitest';
import { ConfigError, parseConfig, type ConfigProblem } from '../../../src/config/index.js';

export const FILE = '/etc/igmpswitch/test.yaml';

/** Parses text that must fail; returns the ConfigError. */
export function failing(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but the configuration was accepted');
}

/**
 * Asserts the configuration fails with a problem at line:col on keyPath whose formatted line (in the error's
 * message) reads `FILE:LINE:COL: keyPath: …` and contains every fragment.
 */
export function expectProblem(text: string, want: { line: number; col: number; keyPath: string; says: string[] }):
  ConfigProblem {
  const err = failing(text);
  const prefix = want.keyPath === '' ? `${FILE}:${want.line}:${want.col}: ` : `${FILE}:${want.line}:${want.col}: ${want.keyPath}: `;
  const line = err.message.split('\n').find((l) => l.startsWith(prefix));
  expect(line, `no problem starting with "${prefix}" in:\n${err.message}`).toBeDefined();
  for (const s of want.says) expect(line).toContain(s);
  return err.problems.find((p) => p.line === want.line && p.col === want.col && p.keyPath === want.keyPath)!;
}
