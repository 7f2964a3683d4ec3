import { JournalEntryType, type JournaledEvent } from '@trainyard/journal';

// Journal entries about remembered config overrides; the replay rules are in
// infrastructure/config-override.replay.ts. A payload is never changed in place (new `.v<N>`).

/** A config's remembered overrides were set (replacing any before). */
@JournalEntryType(
  'projects.config_overrides_set.v1',
  "a config's remembered overrides were set. A replica upserts the `config_overrides` row.",
)
export class ConfigOverridesSetEvent implements JournaledEvent {
  /** The project's absolute directory (on the origin node). */
  readonly project_dir: string;
  readonly config: string;
  /** Param name → value. */
  readonly values: Record<string, string | number | boolean>;
  /** ISO 8601. */
  readonly updated_at: string;

  constructor(fields: ConfigOverridesSetEvent) {
    this.project_dir = fields.project_dir;
    this.config = fields.config;
    this.values = fields.values;
    this.updated_at = fields.updated_at;
  }
}

/** A config's remembered overrides were cleared. */
@JournalEntryType(
  'projects.config_overrides_cleared.v1',
  "a config's remembered overrides were cleared. A replica deletes the `config_overrides` row.",
)
export class ConfigOverridesClearedEvent implements JournaledEvent {
  readonly project_dir: string;
  readonly config: string;

  constructor(fields: ConfigOverridesClearedEvent) {
    this.project_dir = fields.project_dir;
    this.config = fields.config;
  }
}
