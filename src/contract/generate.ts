// Renders the memory contract (src/contract/memory.ts) as AssemblyScript, C and TypeScript constants.
//   npx tsx src/contract/generate.ts            write assembly/contract.ts, native/src/contract.h, src/contract/constants.ts
//   npx tsx src/contract/generate.ts --check    exit 1 when a committed file differs (test/unit/contract.test.ts too)
// `npm run build` runs it first (build:contract), so the Wasm, native and TypeScript builds see the same numbers.

import { generateFilesWhenRun } from '../generated-doc.js';
import { memoryContract, WIDTH_BYTES, type MemoryContract, type RecordLayout } from './memory.js';

/** One generated constant: its name (without a language prefix), value, AssemblyScript type and comment. */
interface Def { name: string; value: number | string; as: string; doc?: string; hex?: boolean }

const literal = (d: Def) =>
  typeof d.value === 'string' ? JSON.stringify(d.value) : d.hex ? `0x${d.value.toString(16).padStart(4, '0')}` : String(d.value);

function widthOf(f: RecordLayout['fields'][string]): number {
  return typeof f.width === 'string' ? WIDTH_BYTES[f.width] : f.width.bytes;
}

/** Flatten the description into named constants, checking it on the way (overlaps, strides, packing). */
export function contractDefinitions(c: MemoryContract = memoryContract): { heading: string; defs: Def[] }[] {
  const groups: { heading: string; defs: Def[] }[] = [];
  groups.push({
    heading: 'Limits and sizes',
    defs: Object.entries(c.constants).map(([name, k]) => ({ name, value: k.value, as: k.as ?? 'u32', doc: k.doc, hex: k.hex })),
  });
  for (const [rec, r] of Object.entries(c.records)) {
    const defs: Def[] = [{ name: `${rec}_STRIDE`, value: r.stride, as: 'u32', doc: r.doc }];
    const taken = new Array<string | undefined>(r.stride);
    for (const [field, f] of Object.entries(r.fields)) {
      const bytes = widthOf(f);
      if (typeof f.width === 'string' && f.offset % bytes !== 0) throw new Error(`${rec}.${field} is not aligned`);
      for (let b = f.offset; b < f.offset + bytes; b++) {
        if (b >= r.stride) throw new Error(`${rec}.${field} runs past the stride`);
        if (taken[b]) throw new Error(`${rec}.${field} overlaps ${rec}.${taken[b]}`);
        taken[b] = field;
      }
      const width = typeof f.width === 'string' ? f.width : `${bytes} bytes`;
      defs.push({ name: `${rec}_${field}`, value: f.offset, as: 'usize', doc: `${width}: ${f.doc}` });
      if (typeof f.width !== 'string') defs.push({ name: `${rec}_${field}_BYTES`, value: bytes, as: 'u32' });
    }
    groups.push({ heading: `${rec} record`, defs });
  }
  for (const [set, s] of Object.entries(c.flags)) {
    groups.push({
      heading: s.doc,
      defs: Object.entries(s.values).map(([name, value]) => ({ name: `${set}_${name}`, value, as: s.as, hex: value >= 0x100 })),
    });
  }
  for (const [set, s] of Object.entries(c.enums)) {
    const values = Object.entries(s.values);
    values.forEach(([name, value], i) => {
      if (value !== i) throw new Error(`${set}_${name}: enumeration values are their index in the name list`);
    });
    groups.push({
      heading: s.doc,
      defs: [
        ...values.map(([name, value]) => ({ name: `${set}_${name}`, value, as: s.as })),
        { name: `${set}_COUNT`, value: values.length, as: 'u32' },
        {
          name: `${set}_NAMES`, value: values.map(([name]) => name.toLowerCase()).join(','), as: 'string',
          doc: 'The names in code order.',
        },
      ],
    });
  }
  for (const [name, p] of Object.entries(c.packed)) {
    const r = c.records[p.record]!;
    const at = r.fields[p.at]!.offset;
    const defs: Def[] = [];
    for (const field of p.fields) {
      const f = r.fields[field]!;
      if (f.offset < at || f.offset + widthOf(f) > at + 8) throw new Error(`${name}: ${field} is outside the u64 at ${p.at}`);
      defs.push({ name: `${name}_${field}_SHIFT`, value: (f.offset - at) * 8, as: 'u32' });
    }
    groups.push({ heading: p.doc, defs });
  }
  return groups;
}

const HEADER = 'Generated from src/contract/memory.ts by `npx tsx src/contract/generate.ts`; do not edit by hand.';

const comment = (doc: string | undefined, open: string) => (doc ? `${open} ${doc}` : '');

/** The regions in placement order (assembly/layout.ts places them), as comment lines. */
function regionLines(prefix: string): string[] {
  const width = Math.max(...memoryContract.regions.map((r) => r.name.length));
  return [
    `${prefix}Regions, in the order assembly/layout.ts places them (their bases are the module's layout* getters):`,
    ...memoryContract.regions.map((r) => `${prefix}  ${r.name.padEnd(width)}  ${r.size}: ${r.doc}`),
    '',
  ];
}

export function renderAssemblyScript(): string {
  const lines = [`// ${HEADER}`, '// The memory contract (docs/architecture.md, "The memory contract").', '//', ...regionLines('// ')];
  for (const g of contractDefinitions()) {
    lines.push(`// ---- ${g.heading}`);
    for (const d of g.defs) {
      if (d.doc) lines.push(`/** ${d.doc} */`);
      lines.push(d.as === 'string' ? `export const ${d.name} = ${literal(d)};` : `export const ${d.name}: ${d.as} = ${literal(d)};`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function renderTypeScript(): string {
  const lines = [`// ${HEADER}`, '// The memory contract (docs/architecture.md, "The memory contract").', '//', ...regionLines('// ')];
  for (const g of contractDefinitions()) {
    lines.push(`// ---- ${g.heading}`);
    for (const d of g.defs) {
      if (d.doc) lines.push(`/** ${d.doc} */`);
      lines.push(`export const ${d.name} = ${literal(d)};`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function renderC(): string {
  const lines = [`/* ${HEADER}`, ' * The memory contract (docs/architecture.md, "The memory contract").', ' *',
    ...regionLines(' * ').slice(0, -1), ' */', '#ifndef IGS_CONTRACT_H', '#define IGS_CONTRACT_H', ''];
  for (const g of contractDefinitions()) {
    lines.push(`/* ---- ${g.heading.replace(/\*\//g, '* /')} */`);
    for (const d of g.defs) {
      const doc = comment(d.doc?.replace(/\*\//g, '* /'), ' /*');
      lines.push(`#define IGS_${d.name} ${literal(d)}${doc ? `${doc} */` : ''}`);
    }
    lines.push('');
  }
  lines.push('#endif', '');
  return lines.join('\n');
}

/** Every generated file, by path from the repository root. */
export const CONTRACT_FILES: Record<string, () => string> = {
  'assembly/contract.ts': renderAssemblyScript,
  'native/src/contract.h': renderC,
  'src/contract/constants.ts': renderTypeScript,
};

generateFilesWhenRun(import.meta.url, CONTRACT_FILES, 'npx tsx src/contract/generate.ts');
