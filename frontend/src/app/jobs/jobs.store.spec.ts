import { formatTime } from '../core/format';
import { controlNotice, noMatchMessage, statusesOf } from './jobs.store';

describe('controlNotice', () => {
  const killAt = '2026-11-30T19:40:32.000Z';

  it('reads processes still alive after SIGTERM as shutting down (not an error), with when SIGKILL follows', () => {
    const notice = controlNotice(
      'kill',
      { queue_id: 'q', action: 'kill', pids: [6042], survivors: [6042], kill_at: killAt },
      'saver',
    );
    expect(notice).toEqual({
      message: `SIGTERM sent to 1 process; still shutting down — SIGKILL at ${formatTime(killAt)} unless it exits`,
      error: false,
    });
  });

  it('says a repeated kill sent nothing and points at Force kill', () => {
    const notice = controlNotice(
      'kill',
      { queue_id: 'q', action: 'kill', pids: [], survivors: [6042], kill_at: killAt, repeated: true },
      'saver',
    );
    expect(notice).toEqual({
      message: `Already stopping — SIGTERM was sent before; SIGKILL at ${formatTime(killAt)}. Force kill ends it now.`,
      error: false,
    });
  });

  it('keeps survivors after SIGKILL an error', () => {
    const notice = controlNotice(
      'force-kill',
      { queue_id: 'q', action: 'force-kill', pids: [1, 2], survivors: [2] },
      'x',
    );
    expect(notice.error).toBe(true);
    expect(notice.message).toContain('still alive after 2 s: 2');
  });

  it('says an abort its trainer did not take was sent as SIGTERM instead', () => {
    const data = { queue_id: 'q', action: 'abort', pids: [7], survivors: [], trainer_error: 'timed out' };
    expect(controlNotice('abort', data, 'x')).toEqual({
      message: 'The trainer did not take the abort (timed out); SIGTERM sent to 1 process instead: x',
      error: false,
    });
  });

  it('confirms a kill everything obeyed', () => {
    expect(controlNotice('kill', { queue_id: 'q', action: 'kill', pids: [1], survivors: [] }, 'x')).toEqual({
      message: 'SIGTERM sent to 1 process: x',
      error: false,
    });
  });
});

describe('noMatchMessage', () => {
  const none = { filter: 'all' as const, q: '', type: '', from: '', to: '' };
  it('names the status filter beside the search', () => {
    expect(noMatchMessage({ ...none, filter: 'failed', q: 'zzznomatch' })).toBe(
      'No failed job matches “zzznomatch”',
    );
  });
  it('names the held filter', () => {
    expect(noMatchMessage({ ...none, filter: 'held' })).toBe('No held jobs');
  });
  it('names the statuses of a link’s filter', () => {
    expect(noMatchMessage({ ...none, filter: 'queued,running' })).toBe('No queued or running jobs');
  });
  it('names type and dates too', () => {
    expect(noMatchMessage({ ...none, type: 'command', from: '2026-11-01', to: '2026-11-30' })).toBe(
      'No jobs of type command submitted from 2026-11-01 to 2026-11-30',
    );
  });
  it('names the array of an array filter', () => {
    expect(noMatchMessage({ ...none, filter: 'failed', array: 'a_1_beef' })).toBe(
      'No failed jobs of array a_1_beef',
    );
  });
  it('says when the dates are the wrong way round (nothing can match them)', () => {
    expect(noMatchMessage({ ...none, from: '2026-12-03', to: '2026-12-02' })).toBe(
      'No jobs submitted from 2026-12-03 to 2026-12-02 (the range ends before it starts)',
    );
    expect(noMatchMessage({ ...none, from: '2026-12-02', to: '2026-12-02' })).toBe(
      'No jobs submitted from 2026-12-02 to 2026-12-02',
    );
  });
});

describe('statusesOf', () => {
  it('asks the API for held jobs with the Held button, and keeps held in a link’s list', () => {
    expect(statusesOf('held')).toEqual(['held']);
    expect(statusesOf('active')).toEqual(['queued', 'starting', 'running', 'terminating']);
    expect(statusesOf('held,failed')).toEqual(['held', 'failed']);
    expect(statusesOf('all')).toBeNull();
  });
});
