import type { JobStatus, TerminationReason } from '@trainyard/sdk';
import {
  describeParams,
  formatDuration,
  jobRuntime,
  formatGpus,
  formatMib,
  formatNumber,
  formatTime,
  isActive,
  isFinished,
  plural,
  queuedCountText,
  secondsSince,
  reasonParts,
  shortId,
  stoppingNote,
  statusLabel,
} from './format';

describe('formatDuration', () => {
  it.each([
    [null, '—'],
    [undefined, '—'],
    [Number.NaN, '—'],
    [-5, '0s'],
    [0, '0s'],
    [42.9, '42s'],
    [187, '3m 07s'],
    [3600, '1h 00m'],
    [3720, '1h 02m'],
    [86399, '23h 59m'],
    [90000, '1d 01h'],
  ])('%s → %s', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe('secondsSince', () => {
  const now = Date.parse('2025-01-01T00:01:00Z');

  it.each([
    ['2025-01-01T00:00:00Z', 60],
    ['2025-01-01T00:00:59.500Z', 0.5],
    ['2025-01-01T00:02:00Z', 0], // clock skew: never negative
    ['not a date', null],
    ['', null],
    [null, null],
  ])('%s → %s', (iso, expected) => {
    expect(secondsSince(iso, now)).toBe(expected);
  });
});

describe('jobRuntime', () => {
  const now = Date.parse('2026-11-30T12:10:00Z');
  const job = { started_at: '2026-11-30T12:00:00Z', runtime_seconds: 5 };

  it('counts up from the start while the job has processes, also while it is being stopped', () => {
    for (const status of ['starting', 'running', 'terminating'] as JobStatus[])
      expect(jobRuntime({ ...job, status }, now)).toBe('10m 00s');
  });

  it("shows the server's runtime once the job ended, and a dash before it started", () => {
    expect(jobRuntime({ ...job, status: 'done' }, now)).toBe('5s');
    expect(jobRuntime({ status: 'queued', started_at: null, runtime_seconds: null }, now)).toBe('—');
  });
});

describe('formatMib', () => {
  it.each([
    [null, '—'],
    [undefined, '—'],
    [0, '0 MiB'],
    [511.6, '512 MiB'],
    [1023, '1023 MiB'],
    [1024, '1.0 GiB'],
    [81559, '79.6 GiB'],
  ])('%s → %s', (mib, expected) => {
    expect(formatMib(mib)).toBe(expected);
  });
});

describe('status helpers', () => {
  it.each([
    ['queued', true, false],
    ['starting', true, false],
    ['running', true, false],
    ['done', false, true],
    ['failed', false, true],
    ['aborted', false, true],
  ] as const)('%s: active %s, finished %s', (status, active, finished) => {
    expect(isActive(status)).toBe(active);
    expect(isFinished(status)).toBe(finished);
  });
});

describe('shortId', () => {
  it.each([
    ['q_1732_ab12cd34', 'ab12cd34'],
    ['q_a_b_c', 'c'],
    ['plain', 'plain'],
    ['q_only', 'q_only'],
  ])('%s → %s', (id, expected) => {
    expect(shortId(id)).toBe(expected);
  });
});

describe('describeParams', () => {
  it('shows a command job its argv, quoting what the shell would split', () => {
    expect(describeParams('command', { argv: ['python', 'train.py', '--name', 'a run', 'a=b'] })).toBe(
      `python train.py --name 'a run' a=b`,
    );
  });

  it.each([
    ["it's a run", `"it's a run"`],
    [`it's "quoted"`, `'it'\\''s "quoted"'`],
    ["it's $HOME", `'it'\\''s $HOME'`],
    ['print(1)\nprint(2)', `'print(1)⏎print(2)'`],
    ["print('a')\r\nprint('b')", `"print('a')⏎print('b')"`],
  ])('quotes %j as %s, on one line', (arg, shown) => {
    expect(describeParams('command', { argv: ['python3', '-c', arg] })).toBe(`python3 -c ${shown}`);
  });

  it('keeps other types on one line too', () => {
    expect(describeParams('trainer', { notes: 'a\nb' })).toBe('notes=a⏎b');
  });

  it('lists the set parameters of other types, skipping empty and false ones', () => {
    expect(
      describeParams('trainer', {
        config: 'cfg.yaml',
        resume: false,
        tag: '',
        note: null,
        files: ['a', 'b'],
        env: { A: '1' },
        epochs: 3,
      }),
    ).toBe('config=cfg.yaml  files=a b  env={"A":"1"}  epochs=3');
  });

  it('falls back to the type name when nothing is set', () => {
    expect(describeParams('trainer', { resume: false })).toBe('trainer');
  });
});

describe('reasonParts', () => {
  it('splits out what the server quotes in backticks as code, without the backticks', () => {
    expect(
      reasonParts(
        'launches wait: full: make room, e.g. `trainyard sched cleanup --older-than 7d` removes q_1_ab',
      ),
    ).toEqual([
      { text: 'launches wait: full: make room, e.g. ' },
      { code: 'trainyard sched cleanup --older-than 7d' },
      { text: ' removes ' },
      { queueId: 'q_1_ab' },
    ]);
    // Markup in the server's text stays text; a lone backtick is not a code span.
    expect(reasonParts('`<b>x</b>` and ` alone')).toEqual([{ code: '<b>x</b>' }, { text: ' and ` alone' }]);
  });

  it('splits out the queue ids a reason names, keeping the text around them', () => {
    expect(
      reasonParts('needs 2 GPUs, 0 eligible (GPU 0 reserved by q_1732300000000_ab12cd34; GPU 1 disabled)'),
    ).toEqual([
      { text: 'needs 2 GPUs, 0 eligible (GPU 0 reserved by ' },
      { queueId: 'q_1732300000000_ab12cd34' },
      { text: '; GPU 1 disabled)' },
    ]);
  });

  it('returns the reason as one text part when it names no job', () => {
    expect(reasonParts('scheduler is paused')).toEqual([{ text: 'scheduler is paused' }]);
  });

  it('handles ids back to back and at the ends', () => {
    expect(reasonParts('q_1_aa, q_2_bb')).toEqual([
      { queueId: 'q_1_aa' },
      { text: ', ' },
      { queueId: 'q_2_bb' },
    ]);
  });
});

describe('formatGpus', () => {
  const job = (status: JobStatus, gpu_indices: number[], requested_gpus: number) => ({
    status,
    gpu_indices,
    requested_gpus,
  });
  it.each([
    // GPU 0 is an index, never a bare "0" that reads as "no GPU".
    [job('running', [0], 1), '#0'],
    [job('done', [0, 1], 2), '#0, #1'],
    // A count is said to be one.
    [job('queued', [], 2), '2 wanted'],
    [job('running', [], 0), 'none'],
    [job('queued', [], 0), 'none'],
    [job('aborted', [], 2), 'none'],
  ])('%o → %s', (value, text) => {
    expect(formatGpus(value).text).toBe(text);
  });
  it('titles an index list as GPUs it runs on, a count as wanted', () => {
    expect(formatGpus(job('running', [0], 1)).title).toBe('On GPU 0');
    expect(formatGpus(job('queued', [], 2)).title).toBe('2 GPUs requested, not placed yet');
    expect(formatGpus(job('running', [], 0)).none).toBe(true);
  });
});

describe('stoppingNote', () => {
  const at = '2026-11-30T19:40:02.000Z';
  const base = {
    status: 'terminating' as JobStatus,
    kill_grace_s: 30 as number | null,
    termination_reason: 'user_abort' as TerminationReason | null,
    termination_requested_at: at as string | null,
  };
  it('says since when it stops and when SIGKILL follows', () => {
    expect(stoppingNote(base)).toBe(`Stopping since ${formatTime(at)} — SIGKILL after its 30 s grace`);
  });
  it('says when SIGKILL comes once the server has armed it (kill_at)', () => {
    const kill = '2026-11-30T19:41:02.000Z';
    expect(stoppingNote({ ...base, kill_grace_s: null, kill_at: kill })).toBe(
      `Stopping since ${formatTime(at)} — SIGKILL at ${formatTime(kill)}`,
    );
  });
  it('names the server default grace when the job has none of its own', () => {
    expect(stoppingNote({ ...base, kill_grace_s: null })).toBe(
      `Stopping since ${formatTime(at)} — SIGKILL after the server's grace period`,
    );
  });
  it('explains a stop without a reason: the command ended and left processes behind', () => {
    expect(stoppingNote({ ...base, termination_reason: null, termination_requested_at: null })).toBe(
      'Its command ended; stopping the processes it left behind — SIGKILL after its 30 s grace',
    );
  });
  it('says SIGKILL went for a force-kill and for the rank of a rolled-back multi-node job', () => {
    for (const reason of ['user_kill', 'bundle_rollback'] as const)
      expect(stoppingNote({ ...base, termination_reason: reason })).toBe(
        `Stopping since ${formatTime(at)} — SIGKILL sent, waiting for its processes to exit`,
      );
  });
  it('is null for a job that is not stopping', () => {
    expect(stoppingNote({ ...base, status: 'running' })).toBeNull();
  });
});

describe('statusLabel', () => {
  it('reads held for a queued job the user holds, else the status', () => {
    expect(statusLabel({ status: 'queued', held: true })).toBe('held');
    expect(statusLabel({ status: 'queued', held: false })).toBe('queued');
    expect(statusLabel({ status: 'running' })).toBe('running');
  });
});

describe('queuedCountText', () => {
  it('says how many of the queued jobs are held, when any are', () => {
    expect(queuedCountText({ queued_count: 3, held_count: 1 })).toBe('3 queued (1 held)');
    expect(queuedCountText({ queued_count: 3, held_count: 0 })).toBe('3 queued');
  });
});

describe('plural', () => {
  it.each([
    [0, 'point', '0 points'],
    [1, 'point', '1 point'],
    [2, 'point', '2 points'],
  ])('%d %s → %s', (n, word, text) => expect(plural(n, word)).toBe(text));
  it('takes an irregular plural', () => expect(plural(3, 'child', 'children')).toBe('3 children'));
});

describe('formatNumber', () => {
  it.each([
    [1.3999999999999999e308, '1.4e+308'],
    [1e308, '1e+308'],
    [-2.5e-7, '-2.5e-7'],
    [0.30000000000000004, '0.3'],
    [0.1234567891, '0.123457'],
    [123456, '123456'],
    [1234567, '1.23457e+6'],
    [0, '0'],
    [Number.NaN, 'NaN'],
  ])('%s → %s', (value, text) => expect(formatNumber(value)).toBe(text));
});
