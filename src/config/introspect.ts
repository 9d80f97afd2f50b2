// Reading the zod schema back: type labels, defaults, documentation and the schema at a key path.
// Shared by the error formatter (so messages say "expected <type>" with the documented type) and by the
// reference renderer (so docs/config.md says the same).

import * as z from 'zod';
import type { FieldDoc } from './schema.js';

type Schema = z.core.$ZodType;
type Def = { type: string; [key: string]: unknown };

export function defOf(schema: Schema): Def {
  return schema._zod.def as unknown as Def;
}

export function docOf(schema: Schema): FieldDoc {
  return (z.globalRegistry.get(schema) ?? {}) as FieldDoc;
}

/** The documented FieldDoc of a field: the union of the marks on every wrapper, outermost winning. */
export function fieldDoc(schema: Schema): FieldDoc {
  const chain: FieldDoc[] = [];
  for (let s: Schema | null = schema; s; s = innerOf(s)) chain.push(docOf(s));
  return Object.assign({}, ...chain.reverse()) as FieldDoc;
}

/**
 * One level down through a wrapper (default, prefault, optional, nullable, pipe), or null for a base schema.
 * A preprocess pipe (transform → schema) leads to its target; any other pipe to its input side.
 */
export function innerOf(schema: Schema): Schema | null {
  const def = defOf(schema);
  switch (def.type) {
    case 'default': case 'prefault': case 'optional': case 'nullable': case 'readonly': case 'catch':
      return def['innerType'] as Schema;
    case 'pipe': {
      const input = def['in'] as Schema;
      return defOf(input).type === 'transform' ? (def['out'] as Schema) : input;
    }
    default:
      return null;
  }
}

/** The base schema under all wrappers. */
export function baseOf(schema: Schema): Schema {
  let s = schema;
  for (let next = innerOf(s); next; next = innerOf(s)) s = next;
  return s;
}

/** The shape of an object schema (through wrappers), or null. */
export function shapeOf(schema: Schema): Record<string, Schema> | null {
  const def = defOf(baseOf(schema));
  return def.type === 'object' ? (def['shape'] as Record<string, Schema>) : null;
}

/** The element schema of an array schema (through wrappers), or null. */
export function elementOf(schema: Schema): Schema | null {
  const def = defOf(baseOf(schema));
  return def.type === 'array' ? (def['element'] as Schema) : null;
}

/** The schema for a key path of the file (numbers index lists), or null when the path leaves the schema. */
export function schemaAt(root: Schema, path: readonly PropertyKey[]): Schema | null {
  let s: Schema = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      const el = elementOf(s);
      if (!el) return null;
      s = el;
    } else {
      const shape = shapeOf(s);
      const next = shape?.[String(seg)];
      if (!next) return null;
      s = next;
    }
  }
  return s;
}

/** The default as written in the file, or undefined when the key has none (required). */
export function defaultOf(schema: Schema): { value: unknown } | undefined {
  for (let s: Schema | null = schema; s; s = innerOf(s)) {
    const def = defOf(s);
    if (def.type === 'default' || def.type === 'prefault') return { value: def['defaultValue'] };
  }
  return undefined;
}

/** True when the base is an enum or literal set (labels read "a | b | c"). */
export function isChoice(schema: Schema): boolean {
  const t = defOf(baseOf(schema)).type;
  return t === 'enum' || t === 'literal';
}

function numberLabel(schema: Schema): string {
  const n = schema as unknown as { minValue: number | null; maxValue: number | null; isInt: boolean };
  const kind = n.isInt ? 'integer' : 'number';
  const lo = n.minValue !== null && Math.abs(n.minValue) < Number.MAX_SAFE_INTEGER ? n.minValue : null;
  const hi = n.maxValue !== null && Math.abs(n.maxValue) < Number.MAX_SAFE_INTEGER ? n.maxValue : null;
  if (lo !== null && hi !== null) return `${kind} ${lo}..${hi}`;
  if (lo !== null) return `${kind} ≥ ${lo}`;
  if (hi !== null) return `${kind} ≤ ${hi}`;
  return kind;
}

/** The type label of a schema: the nearest `type` mark, else derived from the base schema. */
export function typeLabel(schema: Schema): string {
  let nullable = false;
  for (let s: Schema | null = schema; s; s = innerOf(s)) {
    const mark = docOf(s).type;
    if (mark) return nullable && !/\bnull\b/.test(mark) ? `${mark} or null` : mark;
    if (defOf(s).type === 'nullable') nullable = true;
  }
  const base = baseOf(schema);
  const def = defOf(base);
  let label: string;
  switch (def.type) {
    case 'number': label = numberLabel(base); break;
    case 'boolean': label = 'boolean'; break;
    case 'string': label = 'string'; break;
    case 'enum': label = Object.values(def['entries'] as Record<string, string>).join(' | '); break;
    case 'literal': label = (def['values'] as unknown[]).map(String).join(' | '); break;
    case 'array': label = `list of ${typeLabel(def['element'] as Schema)}`; break;
    case 'object': label = 'mapping'; break;
    default: label = def.type;
  }
  return nullable ? `${label} or null` : label;
}
