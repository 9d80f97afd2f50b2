// Process entry of the igmpswitch command (bin/igmpswitch.js imports dist/cli/main.js). The verbs are in cli.ts.

import { runCli } from './cli.js';

// `igmpswitch show groups | head` closes the pipe early: that is not an error.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
