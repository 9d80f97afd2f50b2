// Configuration problems and their one-line form: `FILE:LINE:COL: key.path: expected …, found …`.
// This is the only place where problems are turned into text.

import { isMap, isSeq, isScalar, isAlias, isPair, type Document, type LineCounter, type Node } from 'yaml';
import type * as z from 'zod';
import { isChoice, schemaAt, shapeOf, typeLabel } from './introspect.js';

export interface ConfigProblem {
  severity: 'error' | 'warning';
  file: string;
  /** 1-based; null when the problem has no place in the file (for example the file cannot be read). */
  line: number | null;
  col: number | null;
  /** Key path in the file's terms, such as `snooping.querier.address` or `ports[2].name`; '' for the whole file. */
  keyPath: string;
  /** What was expected and what was found. */
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line === null ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  const prefix = p.severity === 'warning' ? 'warning: ' : '';
  return p.keyPath === '' ? `${where}: ${prefix}${p.message}` : `${where}: ${prefix}${p.keyPath}: ${p.message}`;
}

/** A configuration that cannot be used; `message` has one formatted line per problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** How a value found in the file reads in a message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `a list of ${value.length.toLocaleString('en')} ${value.length === 1 ? 'entry' : 'entries'}`;
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

// ---------------------------------------------------------------------------------------------------------------
// positions

interface Located {
  /** Number of path segments found in the document. */
  depth: number;
  line: number;
  col: number;
  /** True when the deepest node found is a scalar (the rest of the path came from normalisation). */
  atScalar: boolean;
}

function startOf(node: unknown): number | null {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : null;
}

/** Finds the place of a key path in the document: the value, or with `at: 'key'` the key itself. */
export function locate(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[],
  at: 'value' | 'key' = 'value'): Located {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  let depth = 0;
  let keyOffset: number | null = null;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      keyOffset = startOf(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      if (seg >= node.items.length) break;
      keyOffset = null;
      node = node.items[seg];
    } else {
      break;
    }
    depth++;
    const valueOffset = isEmptyScalar(node) ? null : startOf(node);
    offset = (at === 'key' && depth === path.length ? keyOffset : valueOffset) ?? keyOffset ?? offset;
  }
  const pos = lineCounter.linePos(offset);
  return { depth, line: Math.max(pos.line, 1), col: Math.max(pos.col, 1), atScalar: isScalar(node) };
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return null;
}

function isEmptyScalar(node: unknown): boolean {
  return node === null || (isScalar(node) && node.value === null && (node as Node).range?.[0] === (node as Node).range?.[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// zod issues → problems

/** Nearest known key for a misspelt one: camelCase written for snake_case, or a small edit distance. */
export function suggestKey(unknown: string, known: readonly string[]): string | null {
  const snake = unknown.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/-/g, '_').toLowerCase();
  if (known.includes(snake)) return snake;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(snake, k);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best !== null && bestDistance <= (best.length >= 5 ? 2 : 1) ? best : null;
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Turns zod issues (parsed with `reportInput: true`) into problems placed in the file. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], schema: z.core.$ZodType,
  file: string, doc: Document, lineCounter: LineCounter): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const place = (path: readonly PropertyKey[], message: string | ((loc: Located) => string),
    at: 'value' | 'key' = 'value') => {
    const loc = locate(doc, lineCounter, path, at);
    if (typeof message === 'function') message = message(loc);
    // A port written as a plain name is normalised to { name }: name the entry the reader wrote.
    const shown = loc.atScalar && loc.depth < path.length ? path.slice(0, loc.depth) : path;
    out.push({ severity: 'error', file, line: loc.line, col: loc.col, keyPath: formatKeyPath(shown), message });
  };
  for (const issue of issues) {
    const path = issue.path;
    const input = (issue as { input?: unknown }).input;
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(shapeOf(schemaAt(schema, path) ?? schema) ?? {});
      for (const key of issue.keys) {
        const hint = suggestKey(key, known);
        place([...path, key], `expected one of the keys ${known.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}, ` +
          `found unknown key ${JSON.stringify(key)}`, 'key');
      }
      continue;
    }
    if (issue.code === 'custom') {
      const found = (issue.params as { found?: string } | undefined)?.found ?? describeValue(input);
      // A cross-field rule can fail on a value the file does not contain: say that it is the default.
      place(path, (loc) => `${issue.message}, found ${found}` +
        (loc.depth < path.length && !loc.atScalar && input !== undefined ? ' (the default)' : ''));
      continue;
    }
    const target = schemaAt(schema, path);
    if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.origin === 'array') {
      // The bound is the point of the error: name it (a list of 195,075 static groups against a 4,096 limit).
      const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
      const what = target ? typeLabel(target) : 'list';
      place(path, `expected ${what} (${issue.code === 'too_big' ? 'at most' : 'at least'} ${bound.toLocaleString('en')} ` +
        `${bound === 1 ? 'entry' : 'entries'}), found ${describeValue(input)}`);
      continue;
    }
    const expected = target ? `${isChoice(target) ? 'one of ' : ''}${typeLabel(target)}` : issue.message;
    place(path, `expected ${expected}, found ${describeValue(input)}`);
  }
  return out;
}

/** YAML syntax errors (from parseDocument with a LineCounter) as problems. */
export function problemsFromYaml(errors: readonly { message: string; linePos?: readonly { line: number; col: number }[] }[],
  file: string, severity: 'error' | 'warning' = 'error'): ConfigProblem[] {
  return errors.map((e) => {
    const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const pos = e.linePos?.[0];
    return {
      severity, file, line: pos ? Math.max(pos.line, 1) : 1, col: pos ? Math.max(pos.col, 1) : 1, keyPath: '',
      message: `YAML syntax: ${first}`,
    };
  });
}

export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
