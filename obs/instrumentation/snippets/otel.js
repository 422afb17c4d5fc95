// OpenTelemetry for a Node.js service (rendered by obs). Load it before the application:
//   node --require ./otel.js server.js      (or NODE_OPTIONS="--require ./otel.js")
// npm install @opentelemetry/sdk-node @opentelemetry/auto-instrumentations-node
// Exporters, endpoint, protocol, sampler, propagators and resource come from the OTEL_* variables
// in env.yaml; the HTTP instrumentation emits the stable http.server.request.duration (seconds).
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');

const sdk = new NodeSDK({ instrumentations: [getNodeAutoInstrumentations()] });
sdk.start();
process.on('SIGTERM', () => {
  sdk.shutdown().finally(() => process.exit(0));
});
