import {
  ACTIVE_STATUSES,
  canTransition,
  JOB_STATUSES,
  JobEndEvidence,
  JobOutcome,
  JobStatus,
  settle,
  sourcesOf,
  TERMINAL_STATUSES,
  killsAtOnce,
  TERMINATION_REQUESTS,
  TerminationRequest,
} from './job-lifecycle';

describe('job lifecycle transitions', () => {
  // Every (from, to) pair, written out: a change to the table must change this test.
  const allowed: Record<JobStatus, JobStatus[]> = {
    queued: ['starting', 'aborted'],
    starting: ['queued', 'running', 'terminating', 'done', 'failed', 'aborted'],
    running: ['terminating', 'done', 'failed', 'aborted'],
    terminating: ['queued', 'done', 'failed', 'aborted'],
    done: [],
    failed: [],
    aborted: [],
  };
  const pairs = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed[from].includes(to));
  });

  it('never leaves a terminal state', () => {
    for (const from of TERMINAL_STATUSES)
      expect(JOB_STATUSES.filter((to) => canTransition(from, to))).toEqual([]);
  });

  it('lists the sources of each state for compare-and-set updates', () => {
    expect(sourcesOf('running')).toEqual(['starting']);
    expect(sourcesOf('terminating')).toEqual(['starting', 'running']);
    expect(sourcesOf('aborted')).toEqual(['queued', ...ACTIVE_STATUSES]);
    expect(sourcesOf('queued')).toEqual(['starting', 'terminating']);
  });
});

describe(settle.name, () => {
  const base: JobEndEvidence = {
    requested: null,
    exitCode: null,
    launchError: null,
    foundAfterRestart: false,
  };
  type Row = [string, Partial<JobEndEvidence>, Pick<JobOutcome, 'status' | 'reason'>, RegExp | null];
  const rows: Row[] = [
    ['exit 0', { exitCode: 0 }, { status: 'done', reason: 'completed' }, null],
    ['exit 3', { exitCode: 3 }, { status: 'failed', reason: 'exited_nonzero' }, /exited with code 3/],
    [
      'killed by a signal nobody here sent',
      { exitCode: 137 },
      { status: 'failed', reason: 'exited_nonzero' },
      /signal 9 \(SIGKILL\)/,
    ],
    [
      'a crash (SIGSEGV), named as a shell would',
      { exitCode: 139 },
      { status: 'failed', reason: 'exited_nonzero' },
      /^killed by signal 11 \(SIGSEGV\)$/,
    ],
    [
      'exit 3, found after a restart',
      { exitCode: 3, foundAfterRestart: true },
      { status: 'failed', reason: 'exited_nonzero' },
      /while the server was down/,
    ],
    [
      'exit 0, found after a restart',
      { exitCode: 0, foundAfterRestart: true },
      { status: 'done', reason: 'completed' },
      null,
    ],
    [
      'no exit status after a restart',
      { foundAfterRestart: true },
      { status: 'failed', reason: 'lost_on_restart' },
      /no longer running/,
    ],
    [
      'exec failed: the launcher recorded why',
      { exitCode: 127, execError: 'command not found: trian.py' },
      { status: 'failed', reason: 'exited_nonzero' },
      /^command not found: trian\.py$/,
    ],
    ['no exit status, watched', {}, { status: 'failed', reason: 'exited_nonzero' }, /without an exit status/],
    [
      'launch failed',
      { launchError: 'spawn script ENOENT' },
      { status: 'failed', reason: 'launch_failed' },
      /ENOENT/,
    ],
    [
      'launch failed wins over a request',
      { launchError: 'x', requested: 'user_abort' },
      { status: 'failed', reason: 'launch_failed' },
      /x/,
    ],
    // The restart case of the issue: kill, restart, the job then dies of the SIGTERM → aborted.
    [
      'user_abort, then 143',
      { requested: 'user_abort', exitCode: 143 },
      { status: 'aborted', reason: 'user_abort' },
      /aborted on request; killed by signal 15/,
    ],
    // Known from the monitor's record: a handler that saved and then ran `exit 143` exited, no signal.
    [
      'user_abort, then its handler exits 143',
      { requested: 'user_abort', exitCode: 143, bySignal: false },
      { status: 'aborted', reason: 'user_abort' },
      /^aborted on request; exited with code 143$/,
    ],
    [
      'user_abort, then SIGTERM ends it (recorded as a signal)',
      { requested: 'user_abort', exitCode: 143, bySignal: true },
      { status: 'aborted', reason: 'user_abort' },
      /^aborted on request; killed by signal 15 \(SIGTERM\)$/,
    ],
    [
      'exit 137 of its own',
      { requested: null, exitCode: 137, bySignal: false },
      { status: 'failed', reason: 'exited_nonzero' },
      /^exited with code 137$/,
    ],
    [
      'user_abort, found after a restart',
      { requested: 'user_abort', exitCode: 143, foundAfterRestart: true },
      { status: 'aborted', reason: 'user_abort' },
      /aborted/,
    ],
    [
      'user_abort, the job still exits 0',
      { requested: 'user_abort', exitCode: 0 },
      { status: 'aborted', reason: 'user_abort' },
      /aborted/,
    ],
    [
      'user_abort, no exit status',
      { requested: 'user_abort' },
      { status: 'aborted', reason: 'user_abort' },
      /^aborted on request$/,
    ],
    [
      'user_kill',
      { requested: 'user_kill', exitCode: 137 },
      { status: 'aborted', reason: 'user_kill' },
      /force-killed/,
    ],
    [
      'bundle_rollback: nobody asked, the cluster killed the rank of a multi-node job that could not start',
      { requested: 'bundle_rollback', exitCode: 137, bySignal: true },
      { status: 'aborted', reason: 'bundle_rollback' },
      /^killed: its multi-node job was rolled back \(not every rank could start\); killed by signal 9 \(SIGKILL\)$/,
    ],
    [
      'bundle_rollback, found after a restart without a status',
      { requested: 'bundle_rollback', foundAfterRestart: true },
      { status: 'aborted', reason: 'bundle_rollback' },
      /^killed: its multi-node job was rolled back \(not every rank could start\)$/,
    ],
    [
      'time_limit, the job dies of the SIGTERM',
      { requested: 'time_limit', exitCode: 143 },
      { status: 'aborted', reason: 'time_limit' },
      /^stopped at its time limit; killed by signal 15 \(SIGTERM\)$/,
    ],
    [
      'time_limit, a trainer saves and exits 0',
      { requested: 'time_limit', exitCode: 0 },
      { status: 'aborted', reason: 'time_limit' },
      /^stopped at its time limit; exited with code 0$/,
    ],
    [
      'time_limit, found after a restart without a status',
      { requested: 'time_limit', foundAfterRestart: true },
      { status: 'aborted', reason: 'time_limit' },
      /^stopped at its time limit$/,
    ],
    [
      'trainer_stop, exit 0',
      { requested: 'trainer_stop', exitCode: 0 },
      { status: 'done', reason: 'trainer_stop' },
      null,
    ],
    [
      'trainer_stop, exit 1',
      { requested: 'trainer_stop', exitCode: 1 },
      { status: 'failed', reason: 'trainer_stop' },
      /code 1/,
    ],
    [
      'trainer_stop, lost',
      { requested: 'trainer_stop', foundAfterRestart: true },
      { status: 'failed', reason: 'trainer_stop' },
      /no exit status/,
    ],
    [
      'preempted, the trainer checkpoints and exits 0: queued again, not ended',
      { requested: 'preempted', exitCode: 0 },
      { status: 'queued', reason: 'preempted' },
      null,
    ],
    [
      'preempted, SIGKILLed after the grace: queued again all the same',
      { requested: 'preempted', exitCode: 137 },
      { status: 'queued', reason: 'preempted' },
      null,
    ],
    [
      'preempted, found gone after a restart: queued again',
      { requested: 'preempted', foundAfterRestart: true },
      { status: 'queued', reason: 'preempted' },
      null,
    ],
    [
      'exit 0, but what it left behind needed SIGKILL after the grace period: done, and said so',
      { exitCode: 0, killedAfterGrace: { processes: 1, graceS: 15 } },
      { status: 'done', reason: 'completed' },
      /^1 process still running after the 15 s grace period got SIGKILL$/,
    ],
    [
      'aborted, SIGKILL needed: both told',
      { requested: 'user_abort', exitCode: 143, killedAfterGrace: { processes: 2, graceS: 20 } },
      { status: 'aborted', reason: 'user_abort' },
      /^aborted on request; killed by signal 15 \(SIGTERM\); 2 processes still running after the 20 s grace period got SIGKILL$/,
    ],
    [
      'no process needed SIGKILL: nothing added',
      { exitCode: 0, killedAfterGrace: { processes: 0, graceS: 10 } },
      { status: 'done', reason: 'completed' },
      null,
    ],
    [
      'preempted, but its relaunch failed: launch_failed wins',
      { requested: 'preempted', launchError: 'cwd gone' },
      { status: 'failed', reason: 'launch_failed' },
      /cwd gone/,
    ],
  ];

  it.each(rows)('%s', (_name, evidence, expected, error) => {
    const outcome = settle({ ...base, ...evidence });
    expect({ status: outcome.status, reason: outcome.reason }).toEqual(expected);
    if (error) expect(outcome.error).toMatch(error);
    else expect(outcome.error).toBeNull();
  });

  it('settles every request (but a preemption, which queues it again) with every kind of exit into a terminal state', () => {
    const requests: Array<TerminationRequest | null> = [
      null,
      ...TERMINATION_REQUESTS.filter((r) => r !== 'preempted'),
    ];
    for (const requested of requests)
      for (const exitCode of [null, 0, 1, 130, 137, 143])
        for (const foundAfterRestart of [false, true])
          expect(TERMINAL_STATUSES).toContain(
            settle({ ...base, requested, exitCode, foundAfterRestart }).status,
          );
  });
});

describe('killsAtOnce', () => {
  it('is a force-kill and a rollback: SIGKILL with no grace period; no other request', () => {
    expect(TERMINATION_REQUESTS.filter(killsAtOnce)).toEqual(['user_kill', 'bundle_rollback']);
    expect(killsAtOnce(null)).toBe(false);
  });
});
