import { listStateFromQuery, listStateToQuery } from './jobs-url';
import { defaultOrder } from './jobs.store';

describe('jobs list state in the URL', () => {
  it('writes only what differs from the defaults', () => {
    expect(listStateToQuery({ filter: 'all', q: '  ', sort: null })).toEqual({
      q: null,
      status: null,
      sort: null,
      order: null,
    });
    expect(
      listStateToQuery({ filter: 'failed', q: ' lr 0.1 ', sort: { by: 'runtime', order: 'asc' } }),
    ).toEqual({ q: 'lr 0.1', status: 'failed', sort: 'runtime', order: 'asc' });
  });

  it('reads back what it wrote', () => {
    const state = {
      filter: 'active' as const,
      q: 'resnet',
      sort: { by: 'name' as const, order: 'desc' as const },
    };
    expect(listStateFromQuery(listStateToQuery(state), defaultOrder)).toEqual(state);
  });

  it('falls back to the defaults for what it does not understand', () => {
    expect(
      listStateFromQuery({ status: 'weird', sort: 'DROP TABLE', order: 'up', q: ['a', 'b'] }, defaultOrder),
    ).toEqual({ filter: 'all', q: '', sort: null });
    expect(listStateFromQuery({ sort: 'started_at' }, defaultOrder)).toEqual({
      filter: 'all',
      q: '',
      sort: { by: 'started_at', order: 'desc' },
    });
  });
});
