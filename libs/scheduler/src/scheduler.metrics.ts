import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Database } from '@trainyard/database';
import { MetricsRegistry } from '@trainyard/metrics';

/** Queue and job metrics; the gauges are read from the database at scrape time. */
@Injectable()
export class SchedulerMetrics {
  readonly launches: Counter;
  readonly launchFailures: Counter;
  readonly submitToStart: Histogram;

  constructor(metrics: MetricsRegistry, db: Database) {
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
    new Gauge({
      name: 'trainyard_queue_depth',
      help: 'Queued items by priority',
      labelNames: ['priority'],
      registers,
      async collect() {
        this.reset();
        const rows: Array<{ priority: number; n: number }> = await db.manager.query(
          "SELECT priority, COUNT(*) AS n FROM jobs WHERE status = 'queued' GROUP BY priority",
        );
        for (const row of rows) this.set({ priority: String(row.priority) }, row.n);
      },
    });
    new Gauge({
      name: 'trainyard_jobs',
      help: 'Jobs by status and type',
      labelNames: ['status', 'job_type'],
      registers,
      async collect() {
        this.reset();
        const rows: Array<{ status: string; job_type: string; n: number }> = await db.manager.query(
          'SELECT status, job_type, COUNT(*) AS n FROM jobs GROUP BY status, job_type',
        );
        for (const row of rows) this.set({ status: row.status, job_type: row.job_type }, row.n);
      },
    });
  }
}
