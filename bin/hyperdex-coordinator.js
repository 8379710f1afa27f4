#!/usr/bin/env node
'use strict';
const { runMain } = require('../dist/src/cli/run.js');
runMain('hyperdex-coordinator', () => require('../dist/src/cli/servers.js').legacyCoordinatorCommand(process.argv.slice(2)));
