#!/usr/bin/env node
'use strict';
const { runMain } = require('../dist/src/cli/run.js');
runMain('hyperdex-daemon', () => require('../dist/src/cli/servers.js').legacyDaemonCommand(process.argv.slice(2)));
