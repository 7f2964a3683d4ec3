// One jest run, two projects: fast unit specs beside the code, and e2e specs in test/ that
// start the real app (real SQLite file, real ports, real child processes).
const moduleNameMapper = { '^@trainyard/(.*)$': '<rootDir>/libs/$1/src' };
const transform = { '^.+\\.ts$': '<rootDir>/scripts/jest-transformer.js' };
module.exports = {
  testTimeout: 30000,
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      moduleNameMapper,
      transform,
    },
  ],
};
