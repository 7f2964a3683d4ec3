import { waitExitCode } from './wait.command';

describe(waitExitCode.name, () => {
  const end = (status: string, exit_code: number | null, ended_at: string | null) => ({
    queue_id: 'q',
    status,
    exit_code,
    ended_at,
  });
  it.each<[string, Parameters<typeof waitExitCode>[0], number]>([
    ['all succeeded', [end('done', 0, 't1'), end('done', 0, 't2')], 0],
    ['one failed with 3', [end('done', 0, 't1'), end('failed', 3, 't2')], 3],
    ['the failure that ended first wins', [end('failed', 4, 't2'), end('failed', 3, 't1')], 3],
    ['aborted without a code is 1', [end('aborted', null, 't1')], 1],
    ['cancelled from the queue is 5', [end('cancelled', null, 't1')], 5],
  ])('%s', (_, ends, code) => {
    expect(waitExitCode(ends)).toBe(code);
  });
});
