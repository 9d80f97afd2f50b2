import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderReference } from '../../../src/config/reference.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { schemaAt, shapeOf, elementOf } from '../../../src/config/introspect.js';

describe('docs/config.md', () => {
  it('is exactly the rendering of the schema (regenerate: npx tsx src/config/reference.ts)', () => {
    const committed = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderReference());
  });

  it('documents every key with a description', () => {
    const text = renderReference();
    const walk = (path: string, schema: Parameters<typeof shapeOf>[0]): void => {
      for (const [key, field] of Object.entries(shapeOf(schema) ?? {})) {
        const full = path ? `${path}.${key}` : key;
        if (shapeOf(field)) walk(full, field);
        else {
          const row = text.split('\n').find((l) => l.startsWith(`| \`${full}\` |`));
          expect(row, full).toBeDefined();
          expect(row!.split(' | ').at(-1)!.length, `${full} has no description`).toBeGreaterThan(5);
          const el = elementOf(field);
          if (el && shapeOf(el)) walk(`${full}[]`, el);
        }
      }
    };
    walk('', ConfigSchema);
    expect(schemaAt(ConfigSchema, ['snooping', 'querier', 'address'])).not.toBeNull();
  });

  it('names the contract keys', () => {
    const text = renderReference();
    for (const key of ['ports', 'snooping.querier.enabled', 'snooping.querier.address']) {
      expect(text).toContain(`| \`${key}\` |`);
    }
  });
});
