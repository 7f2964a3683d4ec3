import type { JournalEntryDto } from '@trainyard/sdk';

/** The journal's areas (an entry type's first part), in the order the filter offers them. */
export const AREAS = ['job', 'gpu', 'scheduler', 'auth'] as const;
export type Area = (typeof AREAS)[number];

/** One journal entry in plain words: optionally about a job (shown as a link), then what happened. */
export interface Activity {
  seq: number;
  ts: string;
  area: string;
  /** The job it is about, when it is about one. */
  queueId?: string;
  /** The sentence after the job's name (or the whole sentence when about no job). */
  text: string;
}

const STOP_REASONS: Record<string, string> = {
  user_abort: 'stop requested (kill or abort)',
  user_kill: 'force-kill requested',
  trainer_stop: 'stop requested through its trainer',
  time_limit: 'time limit reached, stopping',
  preempted: 'preempted: asked to checkpoint and stop',
};
const REVOKED: Record<string, string> = {
  logout_all: 'sign out everywhere',
  password_set: 'the password changed',
  token_regenerated: 'a new bearer token',
};
const gpus = (indices: number[]) =>
  indices.length === 0 ? 'with no GPU' : `on GPU${indices.length > 1 ? 's' : ''} ${indices.join(', ')}`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What a journal entry says happened, in words (unknown types: their name and payload). */
export function describeEntry(entry: JournalEntryDto): Activity {
  const base = { seq: entry.seq, ts: entry.ts, area: entry.type.split('.')[0] };
  const about = (queueId: string, text: string): Activity => ({ ...base, queueId, text });
  const says = (text: string): Activity => ({ ...base, text });
  switch (entry.type) {
    case 'job.queued.v1': {
      const p = entry.payload;
      return about(
        p.queue_id,
        `queued: ${p.job_type}, ${plural(p.requested_gpus, 'GPU')}, priority ${p.priority}`,
      );
    }
    case 'job.cancelled.v1':
      return about(entry.payload.queue_id, 'cancelled before it started');
    case 'job.requeued.v1':
      return about(entry.payload.queue_id, 'back in the queue (its launch never happened)');
    case 'job.preempted.v1':
      return about(
        entry.payload.queue_id,
        `back in the queue for attempt ${entry.payload.restart_count + 1}: ${entry.payload.error}`,
      );
    case 'job.starting.v1':
      return about(entry.payload.queue_id, `starting ${gpus(entry.payload.gpu_indices)}`);
    case 'job.started.v1':
      return about(entry.payload.queue_id, `running (pid ${entry.payload.pid})`);
    case 'job.terminating.v1': {
      const reason = entry.payload.termination_reason;
      return about(
        entry.payload.queue_id,
        reason
          ? (STOP_REASONS[reason] ?? `stopping (${reason})`)
          : 'command ended; waiting for its other processes',
      );
    }
    case 'job.finished.v1': {
      const p = entry.payload;
      const exit = p.exit_code === null ? 'no exit status' : `exit ${p.exit_code}`;
      const verb = p.status === 'done' ? 'finished' : p.status;
      return about(p.queue_id, `${verb} (${exit})${p.error ? `: ${p.error}` : ''}`);
    }
    case 'job.kill_unverified.v1':
      return about(
        entry.payload.queue_id,
        `processes outlived ${entry.payload.signal}: ${entry.payload.survivor_pids.join(', ')}`,
      );
    case 'job.deleted.v1':
      return says(`${plural(entry.payload.queue_ids.length, 'finished job')} deleted`);
    // v1 wrote 0 for "no gate"; v2 writes null for it and may hold a gate of 0 or below.
    case 'gpu.policy_changed.v1':
    case 'gpu.policy_changed.v2': {
      const p = entry.payload;
      const gated = entry.type === 'gpu.policy_changed.v1' ? p.min_priority !== 0 : p.min_priority !== null;
      const gate = gated ? `, only priority ≥ ${p.min_priority}` : '';
      return says(`GPU ${p.gpu_index} ${p.disabled ? 'disabled' : 'enabled'}${gate}`);
    }
    case 'gpu.processes_killed.v1': {
      const p = entry.payload;
      const failed = p.failed.length ? `, ${p.failed.length} could not be killed` : '';
      return says(
        `processes on GPU ${p.gpu_index} killed: ${plural(p.killed.length, 'process', 'processes')}${failed}`,
      );
    }
    case 'scheduler.toggled.v1':
      return says(entry.payload.enabled ? 'scheduler resumed' : 'scheduler paused');
    case 'auth.session_started.v1':
      return says(`signed in with the ${entry.payload.via} from ${entry.payload.client_address}`);
    case 'auth.session_ended.v1':
      return says('signed out');
    case 'auth.password_set.v1':
      return says(entry.payload.replaced_existing ? 'console password changed' : 'console password set');
    case 'auth.login_failed.v1':
      return says(
        `sign-in refused (wrong ${entry.payload.via.replace('_', ' ')}) from ${entry.payload.client_address}`,
      );
    case 'auth.sessions_revoked.v1':
      return says(
        `${plural(entry.payload.revoked, 'session')} ended (${REVOKED[entry.payload.reason] ?? entry.payload.reason})`,
      );
    default: {
      const other = entry as { type: string; payload: unknown };
      return says(`${other.type} ${JSON.stringify(other.payload)}`);
    }
  }
}
