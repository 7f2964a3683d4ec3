import { spawnSync } from 'node:child_process';

// The launcher is python; its log cap (CappedLog) has python unit tests, run here so jest runs them.
describe('CappedLog (trainyard-launcher.py)', () => {
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
