// `npm start` builds first when the sources are newer than dist/ (or dist/ is missing), so a fresh
// clone needs only `npm install && npm start`.
const { execSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stamp = join(root, 'dist', 'apps', 'server', 'src', 'main.js');
const SOURCES = [
  'apps',
  'libs',
  'migrations',
  'frontend/src',
  'package.json',
  'angular.json',
  'tsconfig.json',
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

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = Math.max(...SOURCES.map((s) => newest(join(root, s))));
if (built === 0 || changed > built) {
  process.stdout.write('trainyard: building (sources changed since the last build)...\n');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
