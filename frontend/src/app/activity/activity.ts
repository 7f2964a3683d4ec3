import type { JournalEntryDto } from '@trainyard/sdk';
import { shortId } from '../core/format';

/** The journal's areas (an entry type's first part), in the order the filter offers them. */
export const AREAS = ['job', 'run', 'gpu', 'scheduler', 'auth'] as const;
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
  bundle_rollback: 'its multi-node job was rolled back: killing it',
};
const REVOKED: Record<string, string> = {
  logout_all: 'sign out everywhere',
  password_set: 'the password changed',
  token_regenerated: 'a new bearer token',
};
const RUN_STATUS: Record<string, string> = { running: 'running', finished: 'finished', failed: 'failed' };
const gpus = (indices: number[]) =>
  indices.length === 0 ? 'with no GPU' : `on GPU${indices.length > 1 ? 's' : ''} ${indices.join(', ')}`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

type EntryType = JournalEntryDto['type'];
type EntryOf<T extends EntryType> = Extract<JournalEntryDto, { type: T }>;
/** How each part of a sentence is made: about a job (shown as a link first) or about nothing in particular. */
interface Say {
  about(queueId: string, text: string): Activity;
  says(text: string): Activity;
}
/** One describer per declared entry type: a new type in the SDK without words here does not compile. */
type Describers = { [T in EntryType]: (payload: EntryOf<T>['payload'], say: Say, type: T) => Activity };

/** An id's own part, as the rest of the console shows ids: `r_1796…_0a1b2c3d4e5f` → `0a1b2c3d4e5f`. */
const short = shortId;
const bundleName = (bundle: { [key: string]: unknown }) =>
  typeof bundle['name'] === 'string' && bundle['name']
    ? `'${bundle['name']}'`
    : short(String(bundle['id'] ?? ''));
const rankCount = (bundle: { [key: string]: unknown }) =>
  Array.isArray(bundle['ranks']) ? `, ${plural(bundle['ranks'].length, 'node')}` : '';
/** `: ab12cd34, cd34ef56` — the ids of up to three jobs, then how many more. */
const named = (ids: readonly string[]) =>
  ids.length === 0
    ? ''
    : `: ${ids.slice(0, 3).map(short).join(', ')}${ids.length > 3 ? ` and ${ids.length - 3} more` : ''}`;
const gpuPolicy = (index: number, disabled: boolean, gate: number | null) =>
  `GPU ${index} policy: ${disabled ? 'disabled' : 'enabled'}, ${gate === null ? 'no priority gate' : `only priority ≥ ${gate}`}`;
const runLabel = (p: { run_id: string; name?: string | null }) =>
  p.name ? `run ${short(p.run_id)} '${p.name}'` : `run ${short(p.run_id)}`;

const DESCRIBE: Describers = {
  'job.queued.v1': (p, { about }) =>
    about(p.queue_id, `queued: ${p.job_type}, ${plural(p.requested_gpus, 'GPU')}, priority ${p.priority}`),
  'job.cancelled.v1': (p, { about }) => about(p.queue_id, 'cancelled before it started'),
  'job.priority_changed.v1': (p, { about }) =>
    about(p.queue_id, `priority changed: ${p.previous_priority} → ${p.priority} (still queued)`),
  'job.held.v1': (p, { about }) => about(p.queue_id, 'held: it stays queued, in its place, until released'),
  'job.released.v1': (p, { about }) => about(p.queue_id, 'released: it may start again'),
  'job.dependency_failed.v1': (p, { about }) => about(p.queue_id, `will not run: ${p.error}`),
  'job.requeued.v1': (p, { about }) => about(p.queue_id, 'back in the queue (its launch never happened)'),
  'job.preempted.v1': (p, { about }) =>
    about(p.queue_id, `back in the queue for attempt ${p.restart_count + 1}: ${p.error}`),
  'job.starting.v1': (p, { about }) => about(p.queue_id, `starting ${gpus(p.gpu_indices)}`),
  'job.started.v1': (p, { about }) => about(p.queue_id, `running (pid ${p.pid})`),
  'job.terminating.v1': (p, { about }) => {
    const reason = p.termination_reason;
    return about(
      p.queue_id,
      reason
        ? (STOP_REASONS[reason] ?? `stopping (${reason})`)
        : 'command ended; waiting for its other processes',
    );
  },
  'job.finished.v1': (p, { about }) => {
    const exit = p.exit_code === null ? 'no exit status' : `exit ${p.exit_code}`;
    const verb = p.status === 'done' ? 'finished' : p.status;
    return about(p.queue_id, `${verb} (${exit})${p.error ? `: ${p.error}` : ''}`);
  },
  'job.kill_unverified.v1': (p, { about }) =>
    about(p.queue_id, `processes outlived ${p.signal}: ${p.survivor_pids.join(', ')}`),
  'job.deleted.v1': (p, { says }) =>
    says(`${plural(p.queue_ids.length, 'finished job')} deleted${named(p.queue_ids)}`),
  // The entry holds the whole policy after the change, not what changed: say that state, as the
  // CLI's `gpu status` does. v1 wrote 0 for "no gate"; v2 writes null for it and may hold 0 or below.
  'gpu.policy_changed.v1': (p, { says }) => says(gpuPolicy(p.gpu_index, p.disabled, p.min_priority || null)),
  'gpu.policy_changed.v2': (p, { says }) => says(gpuPolicy(p.gpu_index, p.disabled, p.min_priority)),
  'gpu.policy_changed.v3': (p, { says }) => says(gpuPolicy(p.gpu_index, p.disabled, p.min_priority)),
  'gpu.processes_killed.v1': (p, { says }) => {
    const failed = p.failed.length ? `, ${p.failed.length} could not be killed` : '';
    return says(
      `processes on GPU ${p.gpu_index} killed: ${plural(p.killed.length, 'process', 'processes')}${failed}`,
    );
  },
  'scheduler.toggled.v1': (p, { says }) => says(p.enabled ? 'scheduler resumed' : 'scheduler paused'),
  'auth.session_started.v1': (p, { says }) => says(`signed in with the ${p.via} from ${p.client_address}`),
  'auth.session_ended.v1': (_p, { says }) => says('signed out'),
  'auth.password_set.v1': (p, { says }) =>
    says(p.replaced_existing ? 'console password changed' : 'console password set'),
  'auth.login_failed.v1': (p, { says }) =>
    says(`sign-in refused (wrong ${p.via.replace('_', ' ')}) from ${p.client_address}`),
  'auth.sessions_revoked.v1': (p, { says }) =>
    // Journals from before the server left out "0 sessions ended" still hold such entries.
    says(
      `${p.revoked ? plural(p.revoked, 'session') : 'no other session'} ended (${REVOKED[p.reason] ?? p.reason})`,
    ),
  'run.created.v1': (p, { about, says }) =>
    p.job_id
      ? about(p.job_id, `started tracking ${runLabel(p)}${p.project ? ` in ${p.project}` : ''}`)
      : says(`${runLabel(p)} created${p.project ? ` in ${p.project}` : ''} by a client`),
  'run.status_changed.v1': (p, { says }) => says(`${runLabel(p)} ${RUN_STATUS[p.status] ?? p.status}`),
  'run.deleted.v1': (p, { says }) => says(`${runLabel(p)} deleted`),
  'cluster.bundle_submitting.v1': (p, { says }) =>
    says(`multi-node job ${bundleName(p.bundle)} being placed${rankCount(p.bundle)}`),
  'cluster.bundle_submitted.v1': (p, { says }) =>
    says(`multi-node job ${bundleName(p.bundle)} submitted${rankCount(p.bundle)}`),
  'cluster.bundle_rank_enqueued.v1': (p, { about }) =>
    about(
      p.queue_id,
      `queued as rank ${p.node_rank} of multi-node job ${short(p.bundle_id)} on node ${p.node_id}`,
    ),
  'cluster.bundle_failed.v1': (p, { says }) =>
    says(`multi-node job ${short(p.bundle_id)} rolled back by node ${p.resolved_by}: ${p.reason}`),
  'cluster.bundle_cancelled.v1': (p, { says }) => says(`multi-node job ${short(p.bundle_id)} cancelled`),
  'fs.search_root_added.v1': (p, { says }) => says(`folder ${p.path} added to the file search`),
  'fs.search_root_removed.v1': (p, { says }) => says(`folder ${p.path} removed from the file search`),
  'projects.config_overrides_set.v1': (p, { says }) => {
    const names = Object.keys(p.values);
    return says(
      `${p.config} in ${p.project_dir}: ${plural(names.length, 'setting')} overridden${names.length ? ` (${names.join(', ')})` : ''}`,
    );
  },
  'projects.config_overrides_cleared.v1': (p, { says }) =>
    says(`${p.config} in ${p.project_dir}: overrides cleared`),
};

/** The journal entry types the console puts in words (every type the SDK declares). */
export const DESCRIBED_TYPES = Object.keys(DESCRIBE) as EntryType[];

/**
 * What a journal entry says happened, in words. A type newer than this console (a newer server)
 * is still shown, by its name and payload.
 */
export function describeEntry(entry: JournalEntryDto): Activity {
  const base = { seq: entry.seq, ts: entry.ts, area: entry.type.split('.')[0] };
  const say: Say = {
    about: (queueId, text) => ({ ...base, queueId, text }),
    says: (text) => ({ ...base, text }),
  };
  const describe = (DESCRIBE as Partial<Record<string, Describers[EntryType]>>)[entry.type];
  if (!describe) return say.says(`${entry.type} ${JSON.stringify(entry.payload)}`);
  return (describe as (payload: unknown, say: Say, type: string) => Activity)(entry.payload, say, entry.type);
}
