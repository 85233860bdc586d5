#!/usr/bin/env node
// First: the AWS SDK reads this when its clients are created (its 7-line Node 20 notice is noise here).
import '../scripts/quiet-sdk';
import { run } from './main';

void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
