#!/usr/bin/env node
'use strict';
const { runMain } = require('../dist/src/cli/run.js');
runMain('hyperdex', () => require('../dist/src/cli/hyperdex.js').main(process.argv.slice(2)));
