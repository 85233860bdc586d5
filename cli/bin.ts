#!/usr/bin/env node
// First: the AWS SDK reads this when its clients are created (its 7-line Node 20 notice is noise here).
import '../scripts/quiet-sdk';
import { run } from './main';
import { simulateCommand } from './simulate';

void run(process.argv.slice(2), undefined, [simulateCommand]).then((code) => {
  process.exitCode = code;
});
