// The compiled sources (tsc → out/) that tests call directly.
'use strict';
const path = require('node:path');
const OUT = path.resolve(__dirname, '..', '..', 'out', 'src');
const AGENT_PATH = path.resolve(__dirname, '..', '..', 'dist', 'agent.js');
const CLI_PATH = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
module.exports = {
  OUT,
  AGENT_PATH,
  CLI_PATH,
  lib: (p) => require(path.join(OUT, p)),
};
