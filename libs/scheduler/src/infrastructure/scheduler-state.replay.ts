import { replayRule, type ReplayRule } from '@trainyard/journal';
import { SchedulerToggledEvent } from '../scheduler.events';
import { SchedulerStateEntity } from './scheduler-state.entity';

/** How `scheduler.*` entries change a replica's one `scheduler_state` row. */
export const SCHEDULER_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(SchedulerToggledEvent, async (tx, e) => {
    await tx.save(SchedulerStateEntity, { id: 1, enabled: e.enabled, updated_at: e.updated_at });
  }),
];
