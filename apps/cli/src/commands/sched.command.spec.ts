import type { JobDto } from '@trainyard/sdk';
import type { CliContext } from '../context';
import { palette } from '../format';
import {
  describeArrayCancel,
  describeCancel,
  describePriorityChange,
  formatGpus,
  renderJobsTable,
} from './sched.command';

describe(renderJobsTable.name, () => {
  const ctx = { colors: palette(false) } as CliContext;
  const job = (fields: Partial<JobDto>): JobDto =>
    ({
      queue_id: 'q_1796000000000_0000000a',
      status: 'done',
      job_type: 'command',
      name: null,
      gpu_indices: [],
      mig_devices: [],
      requested_gpus: 0,
      gpu_profile: null,
      priority: 0,
      submitted_at: new Date(0).toISOString(),
      runtime_seconds: null,
      exit_code: null,
      error: null,
      ...fields,
    }) as JobDto;

  it("shows a requeued (preempted) job's previous exit code as none while it waits", () => {
    const requeued = job({ status: 'queued', exit_code: 143, restart_count: 1 });
    const waiting = renderJobsTable(ctx, [requeued], new Map([[requeued.queue_id, 'preempted']]));
    expect(waiting).toMatch(/\s-\s+preempted/);
    expect(waiting).not.toMatch(/\b143\b/);
    const ended = renderJobsTable(ctx, [job({ status: 'failed', exit_code: 143, error: 'boom' })], new Map());
    expect(ended).toMatch(/\s143\s+boom/);
  });

  it('shows the effective (aged) priority of queued jobs in an AGED column only while the server ages', () => {
    const older = job({ queue_id: 'q_1796000000000_0000000b', status: 'queued', effective_priority: 31.25 });
    const high = job({ status: 'queued', priority: 30, effective_priority: 30 });
    const running = job({ queue_id: 'q_1796000000000_0000000c', status: 'running' });
    const table = renderJobsTable(ctx, [high, older, running], new Map());
    const [header, ...rows] = table.split('\n');
    expect(header).toMatch(/PRIO\s+AGED\s+AGE/);
    expect(rows[0]).toMatch(/\s30\s+30\s/);
    expect(rows[1]).toMatch(/\s0\s+31\.3\s/);
    expect(rows[2]).toMatch(/\s0\s+-\s/);
    // Without aging the server sends none: no column.
    expect(renderJobsTable(ctx, [job({ status: 'queued' })], new Map())).not.toMatch(/AGED/);
  });

  it("never shows a job's runtime above its age: a running job's counts by the same clock", () => {
    // Started as it was submitted; the server's runtime (25.0 s, taken when it answered) and the
    // age by the client's clock a moment later (24.97 s) read 25s and 24s.
    const now = Date.parse('2026-12-01T10:00:24.970Z');
    const at = '2026-12-01T10:00:00.000Z';
    const running = job({ status: 'running', submitted_at: at, started_at: at, runtime_seconds: 25 });
    expect(renderJobsTable(ctx, [running], new Map(), now)).toMatch(/\s24s\s+24s\s/);
    // Ended: the server's figure (which is never rounded up).
    const ended = job({ status: 'done', submitted_at: at, started_at: at, runtime_seconds: 3.9 });
    expect(renderJobsTable(ctx, [ended], new Map(), now)).toMatch(/\s24s\s+3s\s/);
  });

  it('says what a terminating job waits for: why it stops and when SIGKILL comes', () => {
    const now = Date.parse('2026-12-01T10:00:05.000Z');
    const stopping = job({
      status: 'terminating',
      termination_reason: 'user_abort',
      kill_at: '2026-12-01T10:00:30.000Z',
    });
    expect(renderJobsTable(ctx, [stopping], new Map(), now)).toMatch(
      /\sstopping \(user_abort\); SIGKILL in 25s$/m,
    );
    // Not armed yet (a plain trainer stop), or its command ended and it waits for what it left.
    expect(
      renderJobsTable(
        ctx,
        [job({ status: 'terminating', termination_reason: 'trainer_stop' })],
        new Map(),
        now,
      ),
    ).toMatch(/\sstopping \(trainer_stop\)$/m);
    expect(
      renderJobsTable(ctx, [job({ status: 'terminating', termination_reason: null })], new Map(), now),
    ).toMatch(/its command ended; stopping what it left behind$/m);
    // A preemption's note names who preempted it, and still says when SIGKILL comes (before: only
    // the note, so a user could not tell whether it was checkpointing or stuck).
    const preempted = job({
      status: 'terminating',
      termination_reason: 'preempted',
      error: 'preempted by q_1796000000000_0000000c (priority 10)',
      kill_at: '2026-12-01T10:00:30.000Z',
    });
    expect(renderJobsTable(ctx, [preempted], new Map(), now)).toMatch(
      /\spreempted by q_1796000000000_0000000c \(priority 10\); SIGKILL in 25s$/m,
    );
  });

  it('leaves the NOTE whole into a file or a pipe, and cuts it to fit a terminal', () => {
    const error = `dependency q_1796000000000_0000000b (after_ok) can no longer be met: it ended failed ${'x'.repeat(100)}`;
    const failed = [job({ status: 'aborted', error })];
    expect(renderJobsTable(ctx, failed, new Map())).toContain(error);
    const narrow = renderJobsTable({ ...ctx, terminalWidth: 120 } as CliContext, failed, new Map());
    const line = narrow.split('\n')[1];
    expect(line).toHaveLength(120);
    expect(line).toMatch(/ {2}dependency q_1796\S*…$/);
  });
});

describe(formatGpus.name, () => {
  const gpus = (fields: Partial<JobDto>) =>
    formatGpus({
      status: 'running',
      gpu_indices: [],
      mig_devices: [],
      requested_gpus: 0,
      gpu_profile: null,
      ...fields,
    });

  it('shows held (or once held) GPU indices as #i, never as a bare number that reads as a count', () => {
    expect(gpus({ gpu_indices: [2], requested_gpus: 1 })).toBe('#2');
    expect(gpus({ status: 'done', gpu_indices: [0, 1], requested_gpus: 2 })).toBe('#0,#1');
  });

  it('shows what a queued job wants, and `-` for one that ended without ever getting GPUs', () => {
    expect(gpus({ status: 'queued', requested_gpus: 2 })).toBe('want 2');
    expect(gpus({ status: 'queued', requested_gpus: 2, gpu_profile: '1g.10gb' })).toBe('want 2×1g.10gb');
    expect(gpus({ status: 'aborted', requested_gpus: 1 })).toBe('-');
    expect(gpus({ status: 'failed', requested_gpus: 1 })).toBe('-');
    expect(gpus({ status: 'done' })).toBe('-');
  });

  it('counts MIG devices with their profile', () => {
    expect(gpus({ mig_devices: ['MIG-a', 'MIG-b'], requested_gpus: 2, gpu_profile: '1g.10gb' })).toBe(
      '2×1g.10gb',
    );
  });
});

describe(describeArrayCancel.name, () => {
  const id = 'a_1796000000000_0000000a';
  const q = (n: number) => Array.from({ length: n }, (_, i) => `q_1796000000000_0000000${i}`);
  it.each<[number, number, string]>([
    [2, 0, `${id}: 2 queued: cancelled (kept as aborted; trainyard sched retry ${id} runs them again)`],
    [1, 0, `${id}: 1 queued: cancelled (kept as aborted; trainyard sched retry ${id} runs it again)`],
    [0, 3, `${id}: 3 running: aborting`],
    [
      2,
      1,
      `${id}: 2 queued: cancelled (kept as aborted; trainyard sched retry ${id} runs them again), 1 running: aborting`,
    ],
  ])('%i queued, %i running (names only what happened: no "0 running")', (queued, running, text) => {
    expect(describeArrayCancel({ array_id: id, aborted: q(queued), aborting: q(running) })).toBe(text);
  });
});

describe(describeCancel.name, () => {
  const id = 'q_1796000000000_0000000a';
  it.each<[string, string, Parameters<typeof describeCancel>[1], string]>([
    [
      'queued',
      'removed',
      { status: 'queued', termination_reason: null, array_id: null },
      `${id} removed from the queue`,
    ],
    [
      "an array's, queued",
      'aborted',
      { status: 'queued', termination_reason: null, array_id: 'a_1796000000000_0000000b' },
      `${id} cancelled: kept as aborted in array a_1796000000000_0000000b (trainyard sched retry a_1796000000000_0000000b runs it again)`,
    ],
    [
      'queued again after running',
      'aborted',
      { status: 'queued', termination_reason: null, array_id: null },
      `${id} aborted: it had run before (preempted), so its record and log are kept`,
    ],
    [
      'running',
      'aborting',
      { status: 'running', termination_reason: null, array_id: null },
      `${id} has started: aborting it`,
    ],
    [
      'already stopping',
      'aborting',
      { status: 'terminating', termination_reason: 'time_limit', array_id: null },
      `${id} is already stopping (time_limit)`,
    ],
  ])('%s', (_, outcome, before, text) => {
    expect(describeCancel({ queue_id: id, outcome }, before)).toBe(text);
  });
});

describe(describePriorityChange.name, () => {
  it.each([
    [0, 5, 'q_1_ab priority 0 → 5'],
    [5, -3, 'q_1_ab priority 5 → -3'],
    [2, 2, 'q_1_ab priority stays 2'],
  ])('from %d to %d says %j', (before, after, said) => {
    expect(describePriorityChange({ queue_id: 'q_1_ab', priority: after }, before)).toBe(said);
  });
});
