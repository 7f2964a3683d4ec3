import { Injectable } from '@nestjs/common';
import { Database } from '@trainyard/database';
import { Journal } from '@trainyard/journal';
import type { ParamValue } from '../manifest';
import { ConfigOverridesClearedEvent, ConfigOverridesSetEvent } from '../projects.events';
import { ConfigOverrideEntity } from './config-override.entity';

export type OverrideValues = Record<string, ParamValue>;

/** Remembered overrides per (project dir, config); every change is journaled in the same transaction. */
@Injectable()
export class ConfigOverrideRepository {
  constructor(
    private readonly db: Database,
    private readonly journal: Journal,
  ) {}

  /** The remembered values, `{}` when none. */
  async get(
    projectDir: string,
    config: string,
  ): Promise<{ values: OverrideValues; updated_at: string | null }> {
    const row = await this.db.manager.findOneBy(ConfigOverrideEntity, { project_dir: projectDir, config });
    return row
      ? { values: JSON.parse(row.values_json) as OverrideValues, updated_at: row.updated_at }
      : { values: {}, updated_at: null };
  }

  async set(projectDir: string, config: string, values: OverrideValues): Promise<string> {
    const updated_at = new Date().toISOString();
    await this.journal.record(async (tx) => {
      await tx.upsert(
        ConfigOverrideEntity,
        { project_dir: projectDir, config, values_json: JSON.stringify(values), updated_at },
        ['project_dir', 'config'],
      );
      return {
        result: undefined,
        events: [new ConfigOverridesSetEvent({ project_dir: projectDir, config, values, updated_at })],
      };
    });
    return updated_at;
  }

  /** Forgets the values; true when there were some. */
  async clear(projectDir: string, config: string): Promise<boolean> {
    return this.journal.record(async (tx) => {
      const { affected } = await tx.delete(ConfigOverrideEntity, { project_dir: projectDir, config });
      if (!affected) return { result: false, events: [] };
      return { result: true, events: [new ConfigOverridesClearedEvent({ project_dir: projectDir, config })] };
    });
  }
}
