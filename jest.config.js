/** Jest runs the TypeScript sources directly (ts-jest); the handler tests load the esbuild bundle. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Two workers even on 2 cores (jest's default there is one): the lifecycle files spend most of their time waiting
  // on timers (retries, leases, SMS's injected delays), so two at once halve the suite (634 s to 347 s measured on
  // 2 cores) without starving the handler processes they spawn.
  maxWorkers: 2,
  // A handle one file leaves open (a server or a timer not closed) must not keep `npm test` from ever ending: CI
  // would wait out its 90 minutes. Exit once the results are in.
  forceExit: true,
};
