import { DataSource } from 'typeorm';
import { createSqliteDataSource } from '@trainyard/database';
import { JournalEntryEntity } from '@trainyard/journal';
import { SessionEntity } from '@trainyard/auth';
import { SearchRootEntity } from '@trainyard/fs';
import { GpuPolicyEntity } from '@trainyard/gpus';
import { JobEntity, JobStatusCountEntity } from '@trainyard/jobs';
import { SchedulerStateEntity } from '@trainyard/scheduler';
import { ClusterCursorEntity, ReplicatedEntryEntity } from '@trainyard/cluster';
import { ConfigOverrideEntity } from '@trainyard/projects';
import { RunConfigEntity, RunEntity, RunMetricEntity, RunStringEntity } from '@trainyard/tracking';
import { MIGRATIONS } from '../../../migrations';

/** Every entity of every module: the one list the DataSource, the drift check and the CLI use. */
export const ENTITIES = [
  JournalEntryEntity,
  SessionEntity,
  GpuPolicyEntity,
  JobEntity,
  JobStatusCountEntity,
  SchedulerStateEntity,
  SearchRootEntity,
  ClusterCursorEntity,
  ReplicatedEntryEntity,
  ConfigOverrideEntity,
  RunEntity,
  RunConfigEntity,
  RunMetricEntity,
  RunStringEntity,
];

export function buildDataSource(file: string): DataSource {
  return createSqliteDataSource({ file, entities: ENTITIES, migrations: MIGRATIONS });
}
