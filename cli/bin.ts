#!/usr/bin/env node
// First: the AWS SDK reads this when its clients are created (its 7-line Node 20 notice is noise here).
import '../scripts/quiet-sdk';
import { run } from './main';
import { simulateCommand } from './simulate';

// Piped into `head` or a closed pager: stop quietly, as Unix tools do, instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

void run(process.argv.slice(2), undefined, [simulateCommand]).then((code) => {
  process.exitCode = code;
});
