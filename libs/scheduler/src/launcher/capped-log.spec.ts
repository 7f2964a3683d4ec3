import { spawnSync } from 'node:child_process';

// The monitor's log cap (trainyard-monitor.c) has python tests driving real jobs, run here so jest runs them.
describe('log cap (trainyard-monitor.c)', () => {
  it('passes its python unit tests', () => {
    const run = spawnSync('python3', ['-B', '-m', 'unittest', '-v', 'test_capped_log'], {
      cwd: __dirname,
      encoding: 'utf8',
    });
    expect({ status: run.status, output: run.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('OK'),
    });
  });
});
