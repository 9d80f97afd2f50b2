// Renders docs/cli.md from the CLI's own help texts (every command in CLI_VERBS, whoever adds it), so the reference
// cannot drift from what `igmpswitch <command> --help` prints.
//   npx tsx src/cli/reference.ts            write docs/cli.md
//   npx tsx src/cli/reference.ts --check    exit 1 when docs/cli.md differs
// test/unit/cli/reference.test.ts fails when the committed page is not the rendering.

import { generateDocWhenRun } from '../generated-doc.js';
import { CLI_VERBS, mainUsage } from './cli.js';

/** What is true of every command, which no single --help says. */
const COMMON = `**Exit status**: 0 done; 1 failed, with one line on standard error saying why (\`igmpswitch: cannot connect to
/run/igmpswitch/igmpswitch.sock: is igmpswitch running?\`); 2 wrong usage (unknown command or option, missing or bad
value), with the command's usage on standard error. Set \`IGMPSWITCH_DEBUG=1\` to get the stack of unexpected errors.

Options are strict: an unknown option is an error, not ignored. Values follow the option (\`--wait 3\` or \`--wait=3\`).

The commands that talk to the running daemon (\`--socket PATH | --config FILE\` in their usage) find its control
socket from, in order: \`--socket PATH\`; \`--config FILE\` (\`-c FILE\`), the file's \`management.socket\` (a relative
path there is relative to the file's directory; only that key is read); the default
\`/run/igmpswitch/igmpswitch.sock\`. The socket is \`0600\` (\`management.socket_mode\`) in a \`0700\` directory, so
only the daemon's user and root can connect; everyone who can connect can also \`reload\`.

The control socket speaks newline-delimited JSON, one object per line (\`{"id":1,"method":"querier"}\` →
\`{"id":1,"result":{…}}\`); the methods are the commands' names (\`groups\`, \`ports\`, \`routers\`, \`querier\`, \`fdb\`,
\`stats\`, \`trace\`, \`reload\`) and the stream \`subscribeControl\`. \`--json\` prints the answers as they come; their
shapes are the types in \`src/mgmt/api.ts\`, the wire details are in \`src/mgmt/control-protocol.ts\`.`;

function fence(text: string): string {
  return '```\n' + text.replace(/\n+$/, '') + '\n```';
}

/** docs/cli.md: the top-level usage, what all commands share, then every command's --help in order. */
export function renderCliReference(): string {
  const parts = [
    '<!-- Generated from the help texts in src/cli/cli.ts by `npx tsx src/cli/reference.ts`; do not edit by hand. -->',
    '# The igmpswitch command',
    fence(mainUsage()),
    COMMON,
    ...Object.entries(CLI_VERBS).flatMap(([name, verb]) => [`## ${name}`, verb.summary.replace(/^./, (c) => c.toUpperCase()) + '.', fence(verb.help)]),
  ];
  return parts.join('\n\n') + '\n';
}

generateDocWhenRun(import.meta.url, 'docs/cli.md', renderCliReference, 'npx tsx src/cli/reference.ts');
