import { searchTerms } from './job.repository';

describe('job search terms', () => {
  it('splits on whitespace and keeps a "quoted phrase" whole', () => {
    expect(searchTerms('  train.py   "exit code 1" lr=3e-4 ')).toEqual([
      'train.py',
      'exit code 1',
      'lr=3e-4',
    ]);
    expect(searchTerms('"" ')).toEqual([]);
  });
});
