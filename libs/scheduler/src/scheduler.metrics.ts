import { Injectable } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Database } from '@trainyard/database';
import {
  JOB_STATUSES,
  JobDependencyFailedEvent,
  JobFinishedEvent,
  JobRepository,
  TERMINAL_STATUSES,
  TERMINATION_REASONS,
} from '@trainyard/jobs';
import { StateDirectory } from '@trainyard/core';
import { MetricsRegistry } from '@trainyard/metrics';
import { JobTypeRegistry } from '@trainyard/queue';
import { SchedulerStateRepository } from './infrastructure/scheduler-state.repository';

/** Queue and job metrics; the gauges are read from the database at scrape time. */
@Injectable()
export class SchedulerMetrics {
  readonly launches: Counter;
  readonly launchFailures: Counter;
  readonly submitToStart: Histogram;
  /** Job ends by status and reason, counted as they are recorded (the `trainyard_jobs` gauge drops with a cleanup). */
  readonly ends: Counter<'status' | 'termination_reason'>;

  constructor(
    metrics: MetricsRegistry,
    db: Database,
    jobs: JobRepository,
    types: JobTypeRegistry,
    state: SchedulerStateRepository,
    stateDir: StateDirectory,
  ) {
    const registers = [metrics.registry];
    this.launches = new Counter({ name: 'trainyard_job_launches_total', help: 'Jobs launched', registers });
    this.launchFailures = new Counter({
      name: 'trainyard_job_launch_failures_total',
      help: 'Jobs whose process could not be started',
      registers,
    });
    this.submitToStart = new Histogram({
      name: 'trainyard_job_submit_to_start_seconds',
      help: 'Time from submit to launch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 120, 600, 3600],
      registers,
    });
    this.ends = new Counter({
      name: 'trainyard_job_ends_total',
      help: 'Jobs ended, by status and termination_reason, since the server started (alert on increase())',
      labelNames: ['status', 'termination_reason'],
      registers,
    });
    // Every pair from 0, so increase() sees the first end of a kind too.
    for (const status of TERMINAL_STATUSES)
      for (const reason of TERMINATION_REASONS) this.ends.inc({ status, termination_reason: reason }, 0);
    new Gauge({
      name: 'trainyard_queue_depth',
      help: 'Jobs waiting in the queue (0 when empty)',
      registers,
      async collect() {
        this.set(await jobs.countWithStatus('queued'));
      },
    });
    new Gauge({
      name: 'trainyard_jobs',
      help: 'Jobs by status and type (every status of every configured type, 0 included)',
      labelNames: ['status', 'job_type'],
      registers,
      async collect() {
        this.reset();
        for (const type of types.list())
          for (const status of JOB_STATUSES) this.set({ status, job_type: type.name }, 0);
        const rows: Array<{ status: string; job_type: string; n: number }> = await db.manager.query(
          'SELECT status, job_type, COUNT(*) AS n FROM jobs GROUP BY status, job_type',
        );
        for (const row of rows) this.set({ status: row.status, job_type: row.job_type }, row.n);
      },
    });
    new Gauge({
      name: 'trainyard_scheduler_enabled',
      help: 'The scheduler starts jobs (1) or is paused (0)',
      registers,
      async collect() {
        this.set((await state.enabled()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'trainyard_launches_stopped',
      help: "Every launch waits (1) because the state directory cannot take a job's files (moved, full, read-only: GET /api/health says which), else 0",
      registers,
      collect() {
        // The dispatcher's own check (at most one test write a second): what stops its launches.
        this.set(stateDir.problem() === null ? 0 : 1);
      },
    });
  }
}

/** Counts each job's end in `trainyard_job_ends_total` once it is recorded. */
@EventsHandler(JobFinishedEvent, JobDependencyFailedEvent)
export class CountJobEnds implements IEventHandler<JobFinishedEvent | JobDependencyFailedEvent> {
  constructor(private readonly metrics: SchedulerMetrics) {}

  handle(event: JobFinishedEvent | JobDependencyFailedEvent): void {
    this.metrics.ends.inc(
      event instanceof JobFinishedEvent
        ? { status: event.status, termination_reason: event.termination_reason }
        : { status: 'aborted', termination_reason: 'dependency_failed' },
    );
  }
}
