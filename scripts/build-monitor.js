// Builds trainyard-monitor, the per-job monitor (C, libs/scheduler/src/launcher/trainyard-monitor.c),
// into dist/bin when its source is newer than the binary. Run by `npm run build`, by `npm start` and
// `npm run bench` (scripts/build-if-needed.js) and before jest (scripts/jest-global-setup.js).
// Needs a C compiler (`cc`, or $CC): the same one that builds the native addons at `npm install`.
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const SOURCE = join(root, 'libs', 'scheduler', 'src', 'launcher', 'trainyard-monitor.c');
const BINARY = join(root, 'dist', 'bin', 'trainyard-monitor');

function buildMonitor() {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return;
  mkdirSync(join(root, 'dist', 'bin'), { recursive: true });
  const tmp = `${BINARY}.${process.pid}.tmp`;
  execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-Wextra', '-o', tmp, SOURCE], { stdio: 'inherit' });
  renameSync(tmp, BINARY); // atomic: a server starting meanwhile sees the old binary or the new one
}

module.exports = { buildMonitor, BINARY };
if (require.main === module) buildMonitor();
