#!/usr/bin/env node
'use strict';
const { runMain } = require('../dist/src/cli/run.js');
runMain('hyperdex-replication-stress-test', () =>
  require('../dist/src/cli/replication-stress.js').replicationStressCommand(process.argv.slice(2), 'hyperdex-replication-stress-test', '1234'),
);
