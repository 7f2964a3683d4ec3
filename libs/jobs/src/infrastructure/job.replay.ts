import type { Tx } from '@trainyard/database';
import { expectAffected, replayRule, type ReplayRule } from '@trainyard/journal';
import { In } from 'typeorm';
import { ACTIVE_STATUSES, sourcesOf, type JobStatus } from '../job-lifecycle';
import {
  JobCancelledEvent,
  JobDependencyFailedEvent,
  JobFinishedEvent,
  JobHeldEvent,
  JobKillUnverifiedEvent,
  JobPreemptedEvent,
  JobPriorityChangedEvent,
  JobQueuedEvent,
  JobReleasedEvent,
  JobRequeuedEvent,
  JobsDeletedEvent,
  JobStartedEvent,
  JobStartingEvent,
  JobTerminatingEvent,
} from '../job.events';
import { JobEntity } from './job.entity';
import { queuedJob } from '../job';
import {
  dependencyFailedChanges,
  heldChanges,
  insertJobRow,
  preemptedChanges,
  releasedChanges,
} from './job.repository';

/**
 * How `job.*` entries change a replica's `jobs` rows: the same writes the live path makes, each
 * checked against the state the live path required (a starting job must have been queued, ...).
 */
export const JOB_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(JobQueuedEvent, async (tx, e) => {
    await insertJobRow(
      tx,
      queuedJob({
        id: e.queue_id,
        job_type: e.job_type,
        name: e.name,
        priority: e.priority,
        requested_gpus: e.requested_gpus,
        job_params: e.job_params,
        cwd: e.cwd,
        env: e.env,
        submitted_at: e.submitted_at,
        kill_grace_s: e.kill_grace_s,
        time_limit_s: e.time_limit_s ?? null,
        log_cap_bytes: e.log_cap_bytes ?? null,
        preemptible: e.preemptible ?? false,
        gpu_profile: e.gpu_profile ?? null,
        idempotency_key: e.idempotency_key,
        depends_on: e.depends_on ?? [],
        array_id: e.array_id ?? null,
        array_index: e.array_index ?? null,
        array_max_running: e.array_max_running ?? null,
        retry_of: e.retry_of ?? null,
      }),
      e.idempotency_request ?? null,
    );
  }),
  replayRule(JobCancelledEvent, async (tx, e) => {
    expectAffected(
      await tx.delete(JobEntity, { id: e.queue_id, status: 'queued' }),
      1,
      `no queued job ${e.queue_id}`,
    );
  }),
  replayRule(JobPriorityChangedEvent, async (tx, e) => {
    await update(tx, e.queue_id, ['queued'], { priority: e.priority });
  }),
  replayRule(JobHeldEvent, async (tx, e) => {
    await update(tx, e.queue_id, ['queued'], heldChanges(e));
  }),
  replayRule(JobReleasedEvent, async (tx, e) => {
    await update(tx, e.queue_id, ['queued'], releasedChanges(e));
  }),
  replayRule(JobStartingEvent, async (tx, e) => {
    const changes = {
      status: 'starting',
      gpu_indices: JSON.stringify(e.gpu_indices),
      mig_devices: JSON.stringify(e.mig_devices ?? []),
      started_at: e.started_at,
      exit_code: null, // a requeued job's previous attempt
      error: null,
      argv: null,
    };
    await update(tx, e.queue_id, ['queued'], changes);
  }),
  replayRule(JobRequeuedEvent, async (tx, e) => {
    await update(tx, e.queue_id, ['starting'], {
      status: 'queued',
      started_at: null,
      gpu_indices: '[]',
      mig_devices: '[]',
    });
  }),
  replayRule(JobPreemptedEvent, async (tx, e) => {
    await update(tx, e.queue_id, ['terminating'], preemptedChanges(e));
  }),
  replayRule(JobStartedEvent, async (tx, e) => {
    const pid = {
      pid: e.pid,
      proc_start_time: e.proc_start_time,
      ...(e.argv === undefined ? {} : { argv: JSON.stringify(e.argv) }),
    };
    // Asked to stop before its launch was recorded, a job is already terminating: it only gets its pid.
    const started = await tx.update(
      JobEntity,
      { id: e.queue_id, status: 'starting' },
      { status: 'running', ...pid },
    );
    if (!started.affected) await update(tx, e.queue_id, ['terminating'], pid);
  }),
  replayRule(JobTerminatingEvent, async (tx, e) => {
    await update(tx, e.queue_id, ACTIVE_STATUSES, {
      status: 'terminating',
      termination_reason: e.termination_reason,
      termination_requested_at: e.termination_requested_at,
      ...(e.exit_code === undefined ? {} : { exit_code: e.exit_code }),
    });
  }),
  replayRule(JobFinishedEvent, async (tx, e) => {
    const changes = {
      status: e.status,
      exit_code: e.exit_code,
      error: e.error,
      termination_reason: e.termination_reason,
      ended_at: e.ended_at,
    };
    // From where the live path's moveTo takes it: an active job, or a requeued one cancelled (aborted).
    await update(tx, e.queue_id, sourcesOf(e.status), changes);
  }),
  replayRule(JobDependencyFailedEvent, async (tx, e) => {
    await update(tx, e.queue_id, ['queued'], dependencyFailedChanges(e));
  }),
  replayRule(JobKillUnverifiedEvent, async (tx, e) => {
    expectAffected(
      await tx.update(JobEntity, { id: e.queue_id }, { error: e.error }),
      1,
      `no job ${e.queue_id}`,
    );
  }),
  replayRule(JobsDeletedEvent, async (tx, e) => {
    const result = await tx.delete(JobEntity, { id: In(e.queue_ids) });
    expectAffected(result, e.queue_ids.length, 'some deleted jobs are missing');
  }),
];

async function update(
  tx: Tx,
  id: string,
  from: readonly JobStatus[],
  changes: Partial<JobEntity>,
): Promise<void> {
  const result = await tx.update(JobEntity, { id, status: In([...from]) }, changes);
  expectAffected(result, 1, `no job ${id} in ${from.join('/')}`);
}
