import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { Client, JobDto, JobStatus } from '@trainyard/sdk';
import { API } from '../core/api';
import { AuthStore } from '../core/auth.store';
import { ConfirmStore } from '../core/confirm.store';
import { JobActions } from './job-actions';
import { JobsStore } from './jobs.store';

function job(status: JobStatus, trainerEndpoint = false): JobDto {
  return {
    queue_id: 'q-1',
    name: 'run',
    job_type: 'command',
    job_params: { argv: ['true'] },
    status,
    priority: 0,
    requested_gpus: 0,
    gpu_indices: [],
    gpu_profile: null,
    mig_devices: [],
    argv: null,
    cwd: '/tmp',
    env: {},
    pid: status === 'running' ? 42 : null,
    submitted_at: '2026-11-23T00:00:00.000Z',
    started_at: null,
    ended_at: null,
    exit_code: null,
    error: null,
    termination_reason: null,
    termination_requested_at: null,
    kill_grace_s: null,
    time_limit_s: null,
    log_cap_bytes: null,
    array_id: null,
    array_index: null,
    retry_of: null,
    depends_on: [],
    preemptible: false,
    held: false,
    restart_count: 0,
    preempted_at: null,
    runtime_seconds: null,
    trainer_endpoint: trainerEndpoint,
  };
}

describe(JobActions.name, () => {
  let sut: JobActions;
  let client: { get: ReturnType<typeof vi.fn>; post: ReturnType<typeof vi.fn> };

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        JobsStore,
        JobActions,
        { provide: API, useFactory: () => client as unknown as Client },
        // The store's job-changes stream would reconnect only while signed in.
        { provide: AuthStore, useValue: { checkSession: async () => false } },
      ],
    });
    client = {
      get: vi.fn(async () => ({ data: { items: [], total: 0, next_cursor: null } })),
      post: vi.fn(async () => ({ data: { pids: [42] } })),
    };
    sut = TestBed.inject(JobActions);
  });

  /** The question, once the dependents it names have been read. */
  const asked = () => vi.waitFor(() => expect(TestBed.inject(ConfirmStore).pending()).not.toBeNull());
  const labels = (j: JobDto) => sut.menuItems(j).map((item) => item.label);

  it('offers kill but no trainer actions while a running job has no trainer endpoint', () => {
    const items = labels(job('running'));
    expect(items).toContain('Kill (SIGTERM)…');
    expect(items).toContain('Force kill (SIGKILL)…');
    expect(items).not.toContain('Save checkpoint');
    expect(items).not.toContain('Stop (ask the trainer)');
    expect(items).not.toContain('Abort (no checkpoint)…');
  });

  it('offers the trainer actions once the trainer has published its endpoint', () => {
    const items = labels(job('running', true));
    expect(items).toEqual(
      expect.arrayContaining([
        'Stop (ask the trainer)',
        'Save checkpoint',
        'Save & stop',
        'Abort (no checkpoint)…',
        'Kill (SIGTERM)…',
      ]),
    );
  });

  it('offers cancel for a queued job and delete for a finished one, never kill', () => {
    expect(labels(job('queued'))).toContain('Cancel (remove from queue)…');
    expect(labels(job('queued'))).not.toContain('Kill (SIGTERM)…');
    expect(labels(job('done'))).toContain('Delete job and log…');
    expect(labels(job('done', true))).not.toContain('Save checkpoint');
  });

  it('offers Change priority… for a queued job only (a started one keeps its priority)', () => {
    expect(labels(job('queued'))).toContain('Change priority…');
    expect(labels(job('running'))).not.toContain('Change priority…');
    expect(labels(job('done'))).not.toContain('Change priority…');
  });

  it('offers Hold for a queued job, Release for a held one, neither once it has started', () => {
    expect(labels(job('queued'))).toContain('Hold (keep it from starting)');
    expect(labels({ ...job('queued'), held: true })).toContain('Release (let it start)');
    expect(labels({ ...job('queued'), held: true })).not.toContain('Hold (keep it from starting)');
    for (const status of ['running', 'done'] as const) {
      expect(labels(job(status)).filter((l) => /^(Hold|Release)/.test(l))).toEqual([]);
    }
  });

  it('offers Force kill but not Kill for a job already stopping (a second Kill sends nothing)', () => {
    const stopping: JobDto = {
      ...job('terminating'),
      termination_reason: 'user_abort',
      termination_requested_at: '2026-11-23T19:40:02.000Z',
    };
    expect(sut.canKill(stopping)).toBe(false);
    expect(labels(stopping)).not.toContain('Kill (SIGTERM)…');
    expect(labels(stopping)).toContain('Force kill (SIGKILL)…');
    expect(sut.canKill(job('running'))).toBe(true);
  });

  it('says in the force-kill question that the job is stopping already', async () => {
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.forceKill({ ...job('terminating'), termination_reason: 'user_abort', kill_grace_s: 30 });
    await asked();
    expect(confirm.pending()!.message).toContain('SIGKILL after its 30 s grace');
    confirm.answer(false);
    await done;
  });

  it('names no GPU as none, never an index that could read as a count', () => {
    expect(sut.facts(job('running'))).toContainEqual(['GPUs', 'none']);
    expect(sut.facts({ ...job('running'), gpu_indices: [0] })).toContainEqual(['GPUs', '#0']);
  });

  const running = (): JobDto => ({
    ...job('running'),
    name: 'llama-70b-sft',
    started_at: new Date(Date.now() - (2 * 86400 + 3 * 3600) * 1000).toISOString(),
    gpu_indices: [0, 1],
  });
  const controls = () => client.post.mock.calls.filter(([o]) => String(o.url).includes('{action}'));

  it.each([
    ['kill', (j: JobDto) => sut.kill(j), 'Kill llama-70b-sft?'],
    ['force kill', (j: JobDto) => sut.forceKill(j), 'Force kill llama-70b-sft?'],
    ['abort', (j: JobDto) => sut.abort({ ...j, trainer_endpoint: true }), 'Abort llama-70b-sft?'],
  ])('asks before %s, naming the job and its runtime; Cancel sends nothing', async (_, act, title) => {
    const confirm = TestBed.inject(ConfirmStore);
    const done = act(running());
    await asked();
    const ask = confirm.pending()!;
    expect(ask.title).toBe(title);
    expect(ask.danger).toBe(true);
    expect(ask.details).toEqual(
      expect.arrayContaining([
        ['job', 'llama-70b-sft'],
        ['runtime', '2d 03h'],
        ['GPUs', '#0, #1'],
      ]),
    );
    confirm.answer(false);
    expect(await done).toBe(false);
    expect(controls()).toHaveLength(0);
  });

  it('sends the kill once confirmed', async () => {
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.kill(running());
    await asked();
    confirm.answer(true);
    expect(await done).toBe(true);
    expect(controls()).toHaveLength(1);
    expect(controls()[0][0].path).toEqual({ queue_id: 'q-1', action: 'kill' });
  });

  it('asks before cancelling a queued job', async () => {
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.cancel(job('queued'));
    await asked();
    // Not "Cancel run?" over a "Cancel" button: the question and both answers say what they do.
    expect(confirm.pending()!.title).toBe('Remove run from the queue?');
    expect(confirm.pending()!.confirmLabel).toBe('Remove from queue');
    expect(confirm.pending()!.dismissLabel).toBe('Keep');
    confirm.answer(false);
    expect(await done).toBe(false);
    expect(client.post).not.toHaveBeenCalled();
  });

  it('says a held queued job is held in the cancel question, not queued', async () => {
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.cancel({ ...job('queued'), held: true });
    await asked();
    expect(confirm.pending()!.details).toContainEqual(['status', 'held']);
    confirm.answer(false);
    await done;
    expect(sut.facts(job('queued'))).toContainEqual(['status', 'queued']);
  });

  /** GET /api/jobs/{id}/dependents answers from `graph` (id → its dependents). */
  function dependents(graph: Record<string, Array<[string, string, string]>>): void {
    client.get.mockImplementation(async (o: { url: string; path?: { queue_id: string } }) => ({
      data:
        o.url === '/api/jobs/{queue_id}/dependents'
          ? (graph[o.path!.queue_id] ?? []).map(([queue_id, condition, status]) => ({
              queue_id,
              name: queue_id === 'q_1_eval' ? 'eval' : null,
              condition,
              status,
            }))
          : { items: [], total: 0, next_cursor: null },
    }));
  }

  it('names the queued jobs a kill will abort: after_ok ones and theirs, not after_any / after_not_ok / after_start', async () => {
    dependents({
      'q-1': [
        ['q_1_eval', 'after_ok', 'queued'],
        ['q_1_any', 'after_any', 'queued'],
        ['q_1_notok', 'after_not_ok', 'queued'],
        ['q_1_start', 'after_start', 'queued'],
        ['q_1_ran', 'after_ok', 'running'],
      ],
      q_1_eval: [
        ['q_1_report', 'after_ok', 'queued'],
        ['q_1_cleanup', 'after_any', 'queued'],
      ],
    });
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.kill(running());
    await asked();
    // The running job has started (pid): its after_start dependent is met, not aborted.
    expect(confirm.pending()!.warning).toBe(
      '2 queued jobs that depend on it will end aborted (dependency_failed): eval (eval), q_1_report.',
    );
    confirm.answer(false);
    await done;
  });

  it('counts after_not_ok and after_start dependents too when a queued job is cancelled (it is removed)', async () => {
    dependents({
      'q-1': [
        ['q_1_notok', 'after_not_ok', 'queued'],
        ['q_1_start', 'after_start', 'queued'],
        ['q_1_any', 'after_any', 'queued'],
      ],
    });
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.cancel(job('queued'));
    await asked();
    expect(confirm.pending()!.warning).toBe(
      '2 queued jobs that depend on it will end aborted (dependency_failed): q_1_notok, q_1_start.',
    );
    confirm.answer(false);
    await done;
  });

  it('adds nothing to the question when no queued job depends on the one killed', async () => {
    dependents({ 'q-1': [['q_1_any', 'after_any', 'queued']] });
    const confirm = TestBed.inject(ConfirmStore);
    const done = sut.kill(running());
    await asked();
    expect(confirm.pending()!.warning).toBeUndefined();
    confirm.answer(false);
    await done;
  });
});
