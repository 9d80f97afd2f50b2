// Issue 13.7: docs/cli.md is generated from the CLI's help texts, so the names it shows are the program's.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI_VERBS } from '../../../src/cli/cli.js';
import { renderCliReference } from '../../../src/cli/reference.js';

describe('docs/cli.md', () => {
  it('is exactly the rendering of the help texts (regenerate: npx tsx src/cli/reference.ts)', () => {
    const committed = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderCliReference());
  });

  it('has every command, with its whole --help', () => {
    const text = renderCliReference();
    for (const [name, verb] of Object.entries(CLI_VERBS)) {
      expect(text).toContain(`\n## ${name}\n`);
      expect(text).toContain(verb.help.trimEnd());
    }
  });

  it('names the show stats counters as the daemon names them', () => {
    const text = renderCliReference();
    for (const name of ['rx_frames', 'filter_<reason>', 'drop_<reason>', 'msg_<message>', 'reject_<reason>', 'no_egress']) {
      expect(text).toContain(name);
    }
    for (const stale of ['bad-checksum', 'ttl-not-1', 'igmpv3-report', 'groups-created', 'PUNTED']) expect(text).not.toContain(stale);
  });
});
