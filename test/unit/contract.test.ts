import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CONTRACT_FILES, contractDefinitions } from '../../src/contract/generate.js';
import { memoryContract, type MemoryContract } from '../../src/contract/memory.js';

describe('the memory contract (src/contract/memory.ts)', () => {
  for (const [file, render] of Object.entries(CONTRACT_FILES)) {
    it(`${file} is exactly its rendering (regenerate: npx tsx src/contract/generate.ts)`, () => {
      expect(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')).toBe(render());
    });
  }

  it('derives the verdict packing from the field offsets', () => {
    const shifts = Object.fromEntries(contractDefinitions().flatMap((g) => g.defs).map((d) => [d.name, d.value]));
    expect(shifts).toMatchObject({
      VERDICT_OUTCOME_REASON_SHIFT: 8, VERDICT_OUTCOME_PUNT_SHIFT: 16, VERDICT_OUTCOME_L3_OFFSET_SHIFT: 32,
      VERDICT_OUTCOME_VLAN_SHIFT: 48,
    });
  });

  it('refuses a description whose fields overlap, run past the stride or leave the packed word', () => {
    const withField = (offset: number, stride = 32): MemoryContract => ({
      ...memoryContract,
      records: { ...memoryContract.records, DESC: { ...memoryContract.records.DESC!, stride,
        fields: { ...memoryContract.records.DESC!.fields, EXTRA: { offset, width: 'u32', doc: 'x' } } } },
    });
    expect(() => contractDefinitions(withField(4))).toThrow(/EXTRA overlaps DESC.LENGTH/);
    expect(() => contractDefinitions(withField(28, 30))).toThrow(/runs past the stride/);
    expect(() => contractDefinitions(withField(30))).toThrow(/not aligned/);
    const packed = { ...memoryContract, packed: { P: { record: 'VERDICT', at: 'ACTION', fields: ['PORTS'], doc: 'x' } } };
    expect(() => contractDefinitions(packed)).toThrow(/PORTS is outside the u64/);
  });
});
