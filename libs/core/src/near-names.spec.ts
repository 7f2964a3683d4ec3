import { abbreviates } from './near-names';

describe('abbreviates', () => {
  it.each([
    ['idx', 'index'],
    ['ind', 'index'],
    ['kill_grace_secs', 'kill_grace_seconds'],
    ['TRAINYARD_KILL_GRACE_SECS', 'TRAINYARD_KILL_GRACE_SECONDS'],
    ['time_lim_s', 'time_limit_seconds'],
  ])('%s abbreviates %s', (short, long) => expect(abbreviates(short, long)).toBe(true));

  it.each([
    ['id', 'index'], // too short to tell from a word of its own
    ['xdi', 'index'], // another first letter
    ['ixd', 'index'], // out of order
    ['index', 'index'],
    ['indexes', 'index'],
    ['kill_secs', 'kill_grace_seconds'], // a part missing
    ['TRAINYARD_JOB_ID', 'TRAINYARD_JOBS_DIR'], // a part with another first letter
  ])('%s does not abbreviate %s', (short, long) => expect(abbreviates(short, long)).toBe(false));
});
