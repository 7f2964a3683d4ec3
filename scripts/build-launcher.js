// Builds trainyard-launcher, the job launcher and per-job monitor (C, libs/scheduler/src/launcher/
// trainyard-launcher.c and trainyard-monitor.c), into dist/bin when a source is newer than the
// binary. Run by `npm run build`, by `npm start` and `npm run bench` (scripts/build-if-needed.js) and
// before jest (scripts/jest-global-setup.js). Needs a C compiler (`cc`, or $CC): the same one that
// builds the native addons at `npm install`.
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const DIR = join(root, 'libs', 'scheduler', 'src', 'launcher');
const SOURCES = ['trainyard-launcher.c', 'trainyard-monitor.c', 'trainyard-launcher.h'].map((f) =>
  join(DIR, f),
);
const BINARY = join(root, 'dist', 'bin', 'trainyard-launcher');

function buildLauncher() {
  const newest = Math.max(...SOURCES.map((f) => statSync(f).mtimeMs));
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newest) return;
  mkdirSync(join(root, 'dist', 'bin'), { recursive: true });
  const tmp = `${BINARY}.${process.pid}.tmp`;
  const cc = process.env.CC || 'cc';
  const compile = (link) =>
    execFileSync(
      cc,
      ['-O2', '-Wall', '-Wextra', ...link, '-o', tmp, ...SOURCES.filter((f) => f.endsWith('.c'))],
      {
        stdio: ['ignore', 'inherit', link.length ? 'ignore' : 'inherit'],
      },
    );
  try {
    try {
      // Static (position-independent, so still randomised): each job's monitor is a fork of the
      // launcher, and a static one resolves no symbols and maps no libraries in each — a fifth less
      // CPU per trivial job on the bench VM. Without a static libc (libc6-dev has it) it links as usual.
      compile(['-static-pie']);
    } catch (err) {
      if (err.code === 'ENOENT') throw err;
      compile([]);
    }
  } catch (err) {
    const why = err.code === 'ENOENT' ? `no C compiler \`${cc}\` on the PATH` : `\`${cc}\` failed`;
    process.stderr.write(
      `trainyard: cannot build the job launcher (${why}). Install one (Debian: apt install gcc) ` +
        `or name it in $CC, then run \`npm run build\` again.\n`,
    );
    process.exit(1);
  }
  renameSync(tmp, BINARY); // atomic: a server starting meanwhile sees the old binary or the new one
}

module.exports = { buildLauncher, BINARY };
if (require.main === module) buildLauncher();
