// `npm start` builds first when the sources are newer than dist/ (or dist/ is missing), so a fresh
// clone needs only `npm install && npm start`. With `--server` (npm run bench) only the server is
// considered and built (`nest build server`): the console is not needed to measure the API.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const serverOnly = process.argv.includes('--server');
// What each build writes last, every time: a server-only build (the bench, the reliability suite)
// must not make the CLI and console it left alone look up to date.
const STAMPS = [
  join(root, 'dist', 'apps', 'server', 'src', 'main.js'),
  ...(serverOnly
    ? []
    : [
        join(root, 'dist', 'apps', 'cli', 'src', 'main.js'),
        join(root, 'dist', 'frontend', 'browser', 'index.html'),
      ]),
];
const SOURCES = serverOnly
  ? [
      'apps',
      'libs',
      'migrations',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'tsconfig.server.json',
      'nest-cli.json',
    ]
  : [
      'apps',
      'libs',
      'migrations',
      'frontend/src',
      'scripts/compress-console.mjs',
      'package.json',
      'angular.json',
      'tsconfig.json',
      'tsconfig.server.json',
    ];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

require('./build-launcher').buildLauncher(); // cheap when up to date

const built = Math.min(...STAMPS.map((stamp) => (existsSync(stamp) ? statSync(stamp).mtimeMs : 0)));
const changed = Math.max(...SOURCES.map((s) => newest(join(root, s))));
if (built === 0 || changed > built) {
  process.stdout.write('trainyard: building (sources changed since the last build)...\n');
  execSync(serverOnly ? 'npx nest build server' : 'npm run build', { cwd: root, stdio: 'inherit' });
}
