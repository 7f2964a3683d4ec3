import type { JobDto } from '@trainyard/sdk';
import { exitCodeFor, renderJob } from './job.command';

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

  it('an aborted job the user cancelled before it started is cancelled (5); one that ran is not', () => {
    const aborted = { status: 'aborted', exit_code: null, termination_reason: 'user_abort' };
    expect(exitCodeFor({ ...aborted, started_at: null })).toBe(5);
    expect(exitCodeFor({ ...aborted, started_at: '2026-12-06T03:00:00.000Z' })).toBe(1);
    expect(exitCodeFor({ ...aborted, exit_code: 143, started_at: '2026-12-06T03:00:00.000Z' })).toBe(143);
    expect(exitCodeFor({ ...aborted, termination_reason: 'dependency_failed', started_at: null })).toBe(1);
  });

  it('a preempted job cancelled while queued again ran before: its last attempt’s code, not cancelled (5)', () => {
    const requeued = {
      status: 'aborted',
      termination_reason: 'user_abort',
      started_at: null,
      restart_count: 1,
    };
    expect(exitCodeFor({ ...requeued, exit_code: 143 })).toBe(143);
    expect(exitCodeFor({ ...requeued, exit_code: null })).toBe(1);
  });
});

describe(renderJob.name, () => {
  const job = (fields: Partial<JobDto>): JobDto =>
    ({
      queue_id: 'q_1796000000000_0000000b',
      name: 'eval',
      status: 'queued',
      job_type: 'command',
      priority: 0,
      gpu_indices: [],
      mig_devices: [],
      argv: null,
      requested_gpus: 1,
      pid: null,
      submitted_at: new Date(0).toISOString(),
      started_at: null,
      ended_at: null,
      runtime_seconds: null,
      time_limit_s: null,
      preemptible: false,
      restart_count: 0,
      cwd: '/tmp',
      job_params: { argv: ['true'] },
      env: {},
      exit_code: null,
      error: null,
      termination_reason: null,
      depends_on: [],
      array_id: null,
      array_index: null,
      kill_grace_s: null,
      log_cap_bytes: null,
      retry_of: null,
      ...fields,
    }) as JobDto;

  it('shows env as a shell would read it back: a value with a space or none at all is quoted', () => {
    const text = renderJob(job({ env: { A: 'x B=y', C: '', D: '/usr/bin' } }), null);
    expect(text).toMatch(/^env\s+A='x B=y' C='' D=\/usr\/bin$/m);
  });

  it('says why a queued job waits, and what it depends on, its array and its own grace and log cap', () => {
    const text = renderJob(
      job({
        pending_reason: 'waiting for q_1796000000000_0000000a to succeed',
        depends_on: [{ queue_id: 'q_1796000000000_0000000a', condition: 'after_ok' }],
        array_id: 'a_1796000000000_0000000c',
        array_index: 2,
        kill_grace_s: 30,
        log_cap_bytes: 65536,
      }),
      null,
    );
    expect(text).toMatch(/^waiting\s+waiting for q_1796000000000_0000000a to succeed$/m);
    expect(text).toMatch(/^depends on\s+q_1796000000000_0000000a \(after_ok\)$/m);
    expect(text).toMatch(/^array\s+a_1796000000000_0000000c \[2\]$/m);
    expect(text).toMatch(/^kill grace\s+30s$/m);
    expect(text).toMatch(/^log cap\s+65536 bytes$/m);
  });

  it('shows the command line a job type built, quoted as a shell reads it; a command job has only its argv', () => {
    const training = renderJob(
      job({
        job_type: 'training',
        job_params: { script: 'train.py', args: ['--name', 'run 1'] },
        argv: ['torchrun', '--standalone', '--nproc-per-node', '1', 'train.py', '--name', 'run 1'],
      }),
      null,
    );
    expect(training).toMatch(
      /^command\s+torchrun --standalone --nproc-per-node 1 train\.py --name 'run 1'$/m,
    );
    expect(renderJob(job({ argv: ['true'] }), null)).not.toMatch(/^command\b/m);
  });

  it('shows none of them for a plain job that ended', () => {
    const text = renderJob(job({ status: 'done', exit_code: 0 }), null);
    expect(text).not.toMatch(/^(waiting|depends on|array|retry of|kill grace|log cap)\b/m);
    expect(text).toMatch(/^status\s+done \(exit 0\)$/m);
  });

  it('says a preempted job queued again waits for its next attempt, not that it failed', () => {
    const text = renderJob(
      job({
        preemptible: true,
        restart_count: 1,
        exit_code: 143,
        error: 'preempted by q_1796000000000_0000000d (priority 10); requeued',
      }),
      null,
    );
    expect(text).toMatch(/^status\s+queued again after preemption \(attempt 2; the last one exited 143\)$/m);
    expect(text).toMatch(/^preemptible\s+yes \(requeued 1×\)$/m);
  });

  it('says when SIGKILL comes for a job being stopped', () => {
    const now = Date.parse('2026-12-01T10:00:00.000Z');
    const text = renderJob(
      job({ status: 'terminating', termination_reason: 'user_abort', kill_at: '2026-12-01T10:00:30.000Z' }),
      null,
      now,
    );
    expect(text).toMatch(/^sigkill at\s+2026-12-01T10:00:30.000Z {2}\(in 30s\)$/m);
  });

  it.each<[string, Partial<JobDto>, string]>([
    ['a queued job what it wants', { status: 'queued', requested_gpus: 2 }, 'want 2'],
    ['a running job the GPUs it holds', { status: 'running', gpu_indices: [0, 1] }, '#0,#1'],
    [
      'a job that ended without GPUs what it had asked for',
      { status: 'aborted', termination_reason: 'dependency_failed' },
      '- (requested 1)',
    ],
    ['a GPU-less job none', { status: 'done', requested_gpus: 0 }, '-'],
  ])('shows for %s', (_, fields, shown) => {
    const line = renderJob(job(fields), null)
      .split('\n')
      .find((l) => l.startsWith('gpus '));
    expect(line).toMatch(new RegExp(`^gpus\\s+${shown.replace(/[()]/g, '\\$&')}$`));
  });

  it('names the job a retry copies', () => {
    const text = renderJob(job({ retry_of: 'q_1796000000000_0000000e' }), null);
    expect(text).toMatch(/^retry of\s+q_1796000000000_0000000e$/m);
  });
});
