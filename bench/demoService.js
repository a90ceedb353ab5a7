// The demo service (test/fixtures/demo.proto) loaded once for the benchmark processes.
'use strict';
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const def = protoLoader.loadSync(path.join(__dirname, '..', 'test', 'fixtures', 'demo.proto'), { keepCase: true, longs: Number, defaults: true });
module.exports = { grpc, demo: grpc.loadPackageDefinition(def).demo };
