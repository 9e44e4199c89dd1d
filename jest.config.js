/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts', '**/*.test.tsx'],
  // The end-to-end suite needs Prometheus and Alertmanager and takes minutes: npm run test:e2e.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
  // Some suites start real servers and child processes; each bounds its own waits.
  testTimeout: 30_000,
  transform: {
    // The console's components (src/console, test/console): JSX for Preact.
    '^.+\\.tsx$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          target: 'es2022',
          transform: { react: { runtime: 'automatic', importSource: 'preact' } },
        },
        module: { type: 'commonjs' },
      },
    ],
    '^.+\\.(t|m?j)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // client-node 1.4.0 and its auth dependencies, p-limit 7 with its queue, and Preact 11 (the
  // console's tests), ship ESM only.
  transformIgnorePatterns: [
    '/node_modules/(?!(@kubernetes/client-node|openid-client|jose|oauth4webapi|p-limit|yocto-queue|preact|preact-render-to-string)/)',
  ],
};
