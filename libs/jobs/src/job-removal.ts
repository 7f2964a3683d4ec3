import type { Tx } from '@trainyard/database';
import { Journal, journalEntryTypeOf } from '@trainyard/journal';
import { JobRepository } from './infrastructure/job.repository';
import { JobQueuedEvent } from './job.events';

const QUEUED = journalEntryTypeOf(JobQueuedEvent);
/** What a removed job's `job.queued` entry keeps of each environment value. */
export const REDACTED = '[redacted]';

/**
 * Deletes these jobs' rows in `tx` and redacts their environment (which may hold credentials) from
 * their `job.queued` journal entries, keeping the variables' names. Every removal of a job — a
 * delete, a cleanup, the cancel of one that never ran — goes through here, so no credential outlives
 * its job in the database. Any number of ids (deleted 500 at a time: SQLite's parameter limit).
 */
export async function removeJobRows(
  tx: Tx,
  jobs: JobRepository,
  journal: Journal,
  ids: readonly string[],
): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await jobs.deleteMany(tx, chunk);
    await journal.redact(tx, QUEUED, chunk, withoutEnvValues);
  }
}

function withoutEnvValues(payload: Record<string, unknown>): Record<string, unknown> {
  const env = (payload.env ?? {}) as Record<string, string>;
  return { ...payload, env: Object.fromEntries(Object.keys(env).map((k) => [k, REDACTED])) };
}
