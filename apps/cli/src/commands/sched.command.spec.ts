import type { JobDto } from '@trainyard/sdk';
import type { CliContext } from '../context';
import { palette } from '../format';
import { describeCancel, renderJobsTable } from './sched.command';

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
});

describe(describeCancel.name, () => {
  const id = 'q_1796000000000_0000000a';
  it.each<[string, string, Parameters<typeof describeCancel>[1], string]>([
    ['queued', 'removed', { status: 'queued', termination_reason: null }, `${id} removed from the queue`],
    [
      'running',
      'aborting',
      { status: 'running', termination_reason: null },
      `${id} has started: aborting it`,
    ],
    [
      'already stopping',
      'aborting',
      { status: 'terminating', termination_reason: 'time_limit' },
      `${id} is already stopping (time_limit)`,
    ],
  ])('%s', (_, outcome, before, text) => {
    expect(describeCancel({ queue_id: id, outcome }, before)).toBe(text);
  });
});
