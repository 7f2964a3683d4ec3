import { replayRule, type ReplayRule } from '@trainyard/journal';
import { ConfigOverridesClearedEvent, ConfigOverridesSetEvent } from '../projects.events';
import { ConfigOverrideEntity } from './config-override.entity';

/** How `projects.*` entries change a replica's `config_overrides` rows (the same writes as the live path). */
export const PROJECTS_REPLAY_RULES: readonly ReplayRule[] = [
  replayRule(ConfigOverridesSetEvent, async (tx, e) => {
    await tx.upsert(
      ConfigOverrideEntity,
      {
        project_dir: e.project_dir,
        config: e.config,
        values_json: JSON.stringify(e.values),
        updated_at: e.updated_at,
      },
      ['project_dir', 'config'],
    );
  }),
  replayRule(ConfigOverridesClearedEvent, async (tx, e) => {
    await tx.delete(ConfigOverrideEntity, { project_dir: e.project_dir, config: e.config });
  }),
];
