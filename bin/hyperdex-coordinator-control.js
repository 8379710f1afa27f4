#!/usr/bin/env node
'use strict';
const { runMain } = require('../dist/src/cli/run.js');
runMain('hyperdex-coordinator-control', () => require('../dist/src/cli/spaces.js').controlCommand(process.argv.slice(2)));
