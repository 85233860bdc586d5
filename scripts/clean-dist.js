#!/usr/bin/env node
// Empties dist/ before a build, so a file whose source was deleted is never packed.
const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.resolve(__dirname, '..', 'dist'), { recursive: true, force: true });
