// One way for the build and test scripts to run a shell command line from the repository root.
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');

/**
 * Runs `command` (a shell line) in the repository root. Resolves with its exit code (1 for a signal,
 * or when it could not be started) and, with `hold`, its stdout and stderr together (else they are
 * the caller's). Never rejects.
 */
function runCommand(command, { hold = false, env = process.env } = {}) {
  return new Promise((resolve) => {
    const output = [];
    let settled = false;
    const settle = (code) => {
      if (settled) return;
      settled = true;
      resolve({ command, code, output: Buffer.concat(output) });
    };
    const child = spawn(command, {
      cwd: root,
      env,
      shell: true,
      stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    if (hold) {
      child.stdout.on('data', (chunk) => output.push(chunk));
      child.stderr.on('data', (chunk) => output.push(chunk));
    }
    child.on('error', (err) => {
      output.push(Buffer.from(`${command}: ${err.message}\n`));
      settle(1);
    });
    child.on('close', (status, signal) => settle(status ?? (signal ? 1 : 0)));
  });
}

module.exports = { runCommand };
