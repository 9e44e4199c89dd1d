const base = require('./jest.config.js');

/**
 * The end-to-end suite (`npm run test:e2e`): real Prometheus and Alertmanager binaries, the fake
 * Kubernetes API server and the built `remediator serve`. One file at a time (`--runInBand` in the
 * script): every file starts its own stack of processes and timings matter.
 */
/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Each test waits on Prometheus and Alertmanager; its own waits are bounded tighter than this.
  testTimeout: 120_000,
  maxWorkers: 1,
  verbose: true,
};
