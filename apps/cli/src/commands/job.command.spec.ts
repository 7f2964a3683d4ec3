import { exitCodeFor } from './job.command';

describe(exitCodeFor.name, () => {
  it.each<[string, number | null, number]>([
    ['done', 0, 0],
    ['done', null, 0],
    ['failed', 3, 3],
    ['failed', null, 1],
    ['failed', 0, 1],
    ['aborted', 143, 143],
    ['aborted', null, 1],
    ['failed', 300, 255],
    ['cancelled', null, 5],
    ['deleted', null, 5],
  ])('%s with exit code %j → %i', (status, exit_code, expected) => {
    expect(exitCodeFor({ status, exit_code })).toBe(expected);
  });
});
