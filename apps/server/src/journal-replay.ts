import { AUTH_REPLAY_RULES } from '@trainyard/auth';
import { CLUSTER_REPLAY_RULES } from '@trainyard/cluster';
import { FS_REPLAY_RULES } from '@trainyard/fs';
import { GPU_REPLAY_RULES } from '@trainyard/gpus';
import { JOB_REPLAY_RULES } from '@trainyard/jobs';
import { JournalReplayer } from '@trainyard/journal';
import { PROJECTS_REPLAY_RULES } from '@trainyard/projects';
import { SCHEDULER_REPLAY_RULES } from '@trainyard/scheduler';
import { TRACKING_REPLAY_RULES } from '@trainyard/tracking';

/**
 * Applies journal entries to a database with the same migrations: after replaying a node's whole
 * journal into an empty database, its `jobs`, `gpu_policy`, `scheduler_state`, `search_roots`,
 * `config_overrides` and `runs` rows equal the node's (run tokens and run points excepted).
 * (`sessions` and `journal` are not replicated state: see auth.events.ts.) Throws at load when a
 * declared entry type has no rule.
 */
export function journalReplayer(): JournalReplayer {
  return new JournalReplayer([
    ...JOB_REPLAY_RULES,
    ...GPU_REPLAY_RULES,
    ...SCHEDULER_REPLAY_RULES,
    ...AUTH_REPLAY_RULES,
    ...FS_REPLAY_RULES,
    ...PROJECTS_REPLAY_RULES,
    ...TRACKING_REPLAY_RULES,
    ...CLUSTER_REPLAY_RULES,
  ]);
}
