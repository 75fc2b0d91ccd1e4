/** Jest runs the TypeScript sources directly (ts-jest); the handler tests load the esbuild bundle. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.dev.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // On 2 cores jest runs the files in its own process, so a handle one file leaves open (a server or a timer not
  // closed) keeps `npm test` from ever ending, and CI would wait out its 90 minutes. Exit once the results are in.
  forceExit: true,
};
