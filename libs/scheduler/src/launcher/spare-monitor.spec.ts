import { spawnSync } from 'node:child_process';

// The launcher's spare monitors have python tests (real processes), run here so jest runs them.
describe('spare monitors (trainyard-launcher.c)', () => {
  it('passes its python tests', () => {
    const run = spawnSync('python3', ['-B', '-m', 'unittest', '-v', 'test_spare_monitor'], {
      cwd: __dirname,
      encoding: 'utf8',
    });
    expect({ status: run.status, output: run.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('OK'),
    });
  });
});
