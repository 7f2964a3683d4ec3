import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { Client, JobDto, JobStatus } from '@trainyard/sdk';
import { API } from '../core/api';
import { AuthStore } from '../core/auth.store';
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
    cwd: '/tmp',
    env: {},
    pid: status === 'running' ? 42 : null,
    submitted_at: '2026-11-23T00:00:00.000Z',
    started_at: null,
    ended_at: null,
    exit_code: null,
    error: null,
    termination_reason: null,
    kill_grace_s: null,
    runtime_seconds: null,
    trainer_endpoint: trainerEndpoint,
  };
}

describe(JobActions.name, () => {
  let sut: JobActions;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        JobsStore,
        JobActions,
        { provide: API, useValue: { get: vi.fn(), post: vi.fn() } as unknown as Client },
        // The store's job-changes stream would reconnect only while signed in.
        { provide: AuthStore, useValue: { checkSession: async () => false } },
      ],
    });
    sut = TestBed.inject(JobActions);
  });

  const labels = (j: JobDto) => sut.menuItems(j).map((item) => item.label);

  it('offers kill but no trainer actions while a running job has no trainer endpoint', () => {
    const items = labels(job('running'));
    expect(items).toContain('Kill (SIGTERM)');
    expect(items).toContain('Force kill (SIGKILL)…');
    expect(items).not.toContain('Save checkpoint');
    expect(items).not.toContain('Stop (ask the trainer)');
    expect(items).not.toContain('Abort (no checkpoint)');
  });

  it('offers the trainer actions once the trainer has published its endpoint', () => {
    const items = labels(job('running', true));
    expect(items).toEqual(
      expect.arrayContaining([
        'Stop (ask the trainer)',
        'Save checkpoint',
        'Save & stop',
        'Abort (no checkpoint)',
        'Kill (SIGTERM)',
      ]),
    );
  });

  it('offers cancel for a queued job and delete for a finished one, never kill', () => {
    expect(labels(job('queued'))).toContain('Cancel (remove from queue)');
    expect(labels(job('queued'))).not.toContain('Kill (SIGTERM)');
    expect(labels(job('done'))).toContain('Delete job and log…');
    expect(labels(job('done', true))).not.toContain('Save checkpoint');
  });
});
