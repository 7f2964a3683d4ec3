// `npm test` after its build: jest (unit, e2e and browser tests, arguments passed on), then the
// console's unit tests and the reliability suite's reduced profile side by side. Side by side
// because neither keeps two cores busy (the reliability checks mostly wait on the servers they
// crash, restart and load) and CI runs close to its 30-minute limit: ~1 minute saved. Each one's
// output is held and written whole when it is done, so the two do not interleave. Exits 0 when
// everything passed, else with the first failure's exit code.
const { availableParallelism } = require('node:os');
const { runCommand } = require('./run-command');

// One jest worker more than cores: the e2e suites often wait rather than compute (on timeouts a test
// must outlast, restarts, jobs that sleep), and the extra worker fills those waits. Measured
// on one 2-core VM in one session: jest took 846 s with 2 workers, 680 s with 3 (the CPU then 86 %
// busy on average).
const JEST_WORKERS = availableParallelism() + 1;

async function main() {
  const quoted = process.argv.slice(2).map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`);
  const jest = await runCommand([`npx jest --maxWorkers=${JEST_WORKERS}`, ...quoted].join(' '));
  const after = [
    runCommand('npm run -s test:console', { hold: true }),
    runCommand('npm run -s test:reliability', {
      hold: true,
      env: { TRAINYARD_RELIABILITY_PROFILE: 'reduced', ...process.env },
    }),
  ];
  const results = [jest];
  for (const done of after) {
    const result = await done;
    process.stdout.write(`\n> ${result.command}\n`);
    process.stdout.write(result.output);
    results.push(result);
  }
  const failed = results.filter((r) => r.code !== 0);
  for (const r of failed) process.stderr.write(`npm test: \`${r.command}\` failed (exit ${r.code})\n`);
  process.exit(failed.length ? failed[0].code : 0);
}

void main();
