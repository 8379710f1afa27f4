#!/usr/bin/env node
'use strict';
const { runMain } = require('../dist/src/cli/run.js');
runMain('hyperdex-simple-consistency-stress-test', () =>
  require('../dist/src/cli/consistency-stress.js').consistencyStressCommand(process.argv.slice(2), 'hyperdex-simple-consistency-stress-test', '1234'),
);
