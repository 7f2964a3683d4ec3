import { expectAffected, replayRule, type ReplayRule } from '@trainyard/journal';
import { RunCreatedEvent, RunDeletedEvent, RunStatusChangedEvent } from '../tracking.events';
import { RunEntity } from './run.entity';

/** How `run.*` entries change a replica's `runs` rows (points and configs are not replicated). */
export const TRACKING_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(RunCreatedEvent, async (tx, e) => {
    await tx.insert(RunEntity, {
      run_id: e.run_id,
      name: e.name,
      project: e.project,
      job_id: e.job_id,
      status: 'running',
      created_at: e.created_at,
      updated_at: e.created_at,
      logged: false,
      token_hash: null,
      token_expires_at: null,
    });
  }),
  replayRule(RunStatusChangedEvent, async (tx, e) => {
    expectAffected(
      await tx.update(RunEntity, { run_id: e.run_id }, { status: e.status, updated_at: e.updated_at }),
      1,
      `run ${e.run_id}`,
    );
  }),
  replayRule(RunDeletedEvent, async (tx, e) => {
    expectAffected(await tx.delete(RunEntity, { run_id: e.run_id }), 1, `run ${e.run_id}`);
  }),
];
