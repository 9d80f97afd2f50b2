// Renders docs/config.md from the schema, so the reference cannot drift from what the program accepts.
//   npx tsx src/config/reference.ts            write docs/config.md
//   npx tsx src/config/reference.ts --check    exit 1 when docs/config.md differs
// test/unit/config/reference.test.ts fails when the committed page is not the rendering.

import { generateDocWhenRun } from '../generated-doc.js';
import type * as z from 'zod';
import { baseOf, defOf, defaultOf, elementOf, fieldDoc, shapeOf, typeLabel } from './introspect.js';
import { ConfigSchema, MAX_PORTS } from './schema.js';

type Schema = z.core.$ZodType;

interface Row { key: string; type: string; default: string; unit: string; reload: string; description: string }
interface Table { title: string; description: string; rows: Row[] }

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return `\`${text}\``;
}

function defaultText(schema: Schema): string {
  const d = fieldDoc(schema);
  if (d.default !== undefined) return d.default;
  const found = defaultOf(schema);
  if (!found) return 'required';
  const v = found.value;
  if (v === null) return code('null');
  if (typeof v === 'string') return code(/^\d+$/.test(v) ? JSON.stringify(v) : v);
  if (Array.isArray(v) || typeof v === 'object') return code(JSON.stringify(v));
  return code(String(v));
}

function unitText(schema: Schema): string {
  const d = fieldDoc(schema);
  if (typeLabel(schema).startsWith('duration')) return 's, or with a unit';
  return d.unit ?? '';
}

function isObjectLike(schema: Schema): boolean {
  return defOf(baseOf(schema)).type === 'object';
}

/** Tables in reading order: each mapping and each list of mappings gets its own table. */
function collect(schema: Schema, path: string, title: string, description: string, tables: Table[]): void {
  const shape = shapeOf(schema);
  if (!shape) return;
  const table: Table = { title, description, rows: [] };
  tables.push(table);
  const nested: [Schema, string, string][] = [];
  for (const [key, field] of Object.entries(shape)) {
    const full = path === '' ? key : `${path}.${key}`;
    const doc = fieldDoc(field);
    const element = elementOf(field);
    if (isObjectLike(field)) {
      nested.push([field, full, doc.description ?? '']);
      continue;
    }
    table.rows.push({
      key: full,
      type: typeLabel(field),
      default: defaultText(field),
      unit: unitText(field),
      reload: doc.restart ? 'restart' : 'yes',
      description: doc.description ?? '',
    });
    if (element && shapeOf(element)) nested.push([element, `${full}[]`, fieldDoc(element).description ?? '']);
  }
  for (const [s, p, d] of nested) collect(s, p, p, d, tables);
}

function renderTable(t: Table): string {
  const lines = [
    t.title === '' ? '## Top level' : `## ${code(t.title)}`,
    '',
    ...(t.description ? [t.description, ''] : []),
    '| key | type | default | unit | reload | description |',
    '|---|---|---|---|---|---|',
    ...t.rows.map((r) => `| ${[code(r.key), r.type, r.default, r.unit, r.reload, r.description].map(cell).join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}

const DURATION_UNITS = '`"500ms"`, `"10s"`, `"1.5s"`, `"2m"`, `"1h"`, `"1m30s"`';

const INTRO = `# Configuration reference

<!-- Generated from src/config/schema.ts by src/config/reference.ts; do not edit by hand.
     Regenerate: npx tsx src/config/reference.ts -->

The daemon reads one YAML file: \`igmpswitch run --config FILE\`. Everything but \`ports\` has a default, so the
smallest configuration is

\`\`\`yaml
ports: [eth1, eth2]
\`\`\`

See \`examples/minimal.yaml\` and the commented \`examples/igmpswitch.yaml\`.

**Rules.** Keys are snake_case. Unknown keys are errors at every level (a misspelt key never passes silently).
A section written with nothing under it (\`snooping:\`) means all its defaults. A key written with nothing after
the colon is \`null\`, which is accepted only where the type says so (derived timers, \`dataplane.cpu\`,
\`state.file\`); for derived timers \`null\` means "derive it".

**Durations** are a number of seconds (\`10\`, \`0.5\`) or a string with a unit: ${DURATION_UNITS}.
Values are rounded to whole milliseconds; none may exceed about 24.8 days (the longest Node.js timer).

**Derived defaults** follow RFC 3376 §8 from \`robustness\`, \`query_interval\` and \`query_response_interval\`;
with the defaults (2, 125s, 10s): group membership interval 260s, other querier present interval 255s, startup
query interval 31.25s, startup query count 2, last member query count 2, older host present interval 260s,
router timeout 255s, startup flood 10s. Setting \`robustness: 3\` raises the group membership interval to 385s
and both query counts to 3.

**Checks across keys:** port names are unique valid Linux interface names (at most 15 bytes), 2 to ${MAX_PORTS} ports;
static groups name listed ports, use a multicast group outside 224.0.0.0/24 and a unicast source different from
the group, and appear once; \`query_response_interval\` < \`query_interval\` (RFC 3376 §8.3);
\`last_member_query_interval\` ≤ \`query_interval\`; with an IGMPv2 querier both response intervals ≤ 25.5s.
Accepted but suspicious settings (\`robustness: 1\`, a membership or router timeout not longer than the query
interval, \`querier_guard\` without a trusted port) are reported as warnings.

**Errors** name the file, line, column and key path, what was expected and what was found, one line each:

\`\`\`
/etc/igmpswitch.yaml:14:5: snooping.querier.adress: expected one of the keys enabled, address, version (did you mean "address"?), found unknown key "adress"
/etc/igmpswitch.yaml:9:15: snooping.robustness: expected integer 1..7, found 9
\`\`\`

**Reload** (\`igmpswitch reload\`) applies every change marked "yes" in the reload column; changes
marked "restart" are reported by the reload and take effect when the daemon restarts. A port keeps its index (and its
memberships) across reloads as long as it stays in the list.

`;

/** docs/config.md as it should be. */
export function renderReference(): string {
  const tables: Table[] = [];
  collect(ConfigSchema, '', '', '', tables);
  return INTRO + tables.filter((t) => t.rows.length > 0).map(renderTable).join('\n');
}

generateDocWhenRun(import.meta.url, 'docs/config.md', renderReference, 'npx tsx src/config/reference.ts');
