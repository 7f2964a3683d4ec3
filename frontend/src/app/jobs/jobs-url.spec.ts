import { listStateFromQuery, listStateToQuery } from './jobs-url';
import { defaultOrder, localDayStart } from './jobs.store';

const NARROWING = { type: '', from: '', to: '', array: '' };

describe('jobs list state in the URL', () => {
  it('writes only what differs from the defaults', () => {
    expect(listStateToQuery({ filter: 'all', q: '  ', sort: null })).toEqual({
      q: null,
      status: null,
      sort: null,
      order: null,
      type: null,
      from: null,
      to: null,
      array: null,
    });
    expect(
      listStateToQuery({
        filter: 'failed',
        q: ' lr 0.1 ',
        sort: { by: 'runtime', order: 'asc' },
        type: 'command',
        from: '2026-11-01',
        to: '2026-11-30',
        array: 'a_1732300000000_ab12cd34',
      }),
    ).toEqual({
      q: 'lr 0.1',
      status: 'failed',
      sort: 'runtime',
      order: 'asc',
      type: 'command',
      from: '2026-11-01',
      to: '2026-11-30',
      array: 'a_1732300000000_ab12cd34',
    });
  });

  it('reads back what it wrote', () => {
    const state = {
      filter: 'active' as const,
      q: 'resnet',
      sort: { by: 'name' as const, order: 'desc' as const },
      type: 'training',
      from: '2026-01-02',
      to: '',
      array: 'a_1_beef',
    };
    expect(listStateFromQuery(listStateToQuery(state), defaultOrder)).toEqual(state);
  });

  it('falls back to the defaults for what it does not understand', () => {
    expect(
      listStateFromQuery(
        {
          status: 'weird',
          sort: 'DROP TABLE',
          order: 'up',
          q: ['a', 'b'],
          type: 'a b',
          from: 'yesterday',
          array: 'a_1 OR 1=1',
        },
        defaultOrder,
      ),
    ).toEqual({ filter: 'all', q: '', sort: null, ...NARROWING });
    expect(listStateFromQuery({ sort: 'started_at' }, defaultOrder)).toEqual({
      filter: 'all',
      q: '',
      sort: { by: 'started_at', order: 'desc' },
      ...NARROWING,
    });
  });

  it('reads the dates as the user\'s local days; "to" ends at the next day\'s start, across month, year and DST', () => {
    const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process
      .env;
    const tz = env['TZ'];
    env['TZ'] = 'America/Los_Angeles';
    try {
      expect(localDayStart('2026-12-02')).toBe('2026-12-02T08:00:00.000Z');
      expect(localDayStart('2026-11-30', 1)).toBe('2026-12-01T08:00:00.000Z');
      expect(localDayStart('2026-12-31', 1)).toBe('2027-01-01T08:00:00.000Z');
      expect(localDayStart('2028-02-28', 1)).toBe('2028-02-29T08:00:00.000Z');
      // Daylight saving time began on 8 March 2026: that day is 23 hours long.
      expect(localDayStart('2026-03-08', 1)).toBe('2026-03-09T07:00:00.000Z');
    } finally {
      if (tz === undefined) delete env['TZ'];
      else env['TZ'] = tz;
    }
  });

  it('keeps statuses no button stands for (a link’s `queued,running`), and drops what the API would refuse', () => {
    const read = (status: string) => listStateFromQuery({ status }, defaultOrder).filter;
    expect(read('queued')).toBe('queued');
    expect(read('queued,running')).toBe('queued,running');
    // The Held button's filter, and held among statuses (the API takes it as one).
    expect(read('held')).toBe('held');
    expect(listStateToQuery({ filter: read('held'), q: '', sort: null })['status']).toBe('held');
    expect(read('held,failed')).toBe('held,failed');
    expect(listStateToQuery({ filter: read('queued,running'), q: '', sort: null })['status']).toBe(
      'queued,running',
    );
    for (const bad of ['bogus', 'queued,bogus', 'queued,queued', 'queued,', ''])
      expect({ bad, filter: read(bad) }).toEqual({ bad, filter: 'all' });
  });
});
