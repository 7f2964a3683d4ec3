import { ApiProperty } from '@nestjs/swagger';

export class ProcessTrackingDto {
  /** `cgroup`: each job runs in cgroup `<cgroup>/job-<id>`; `tag`: by `TRAINYARD_JOB_ID` in its environment. */
  @ApiProperty({ enum: ['cgroup', 'tag'] })
  mode!: 'cgroup' | 'tag';
  /** Trainyard's parent cgroup directory (mode `cgroup`), else null. */
  @ApiProperty({ type: String, nullable: true })
  cgroup!: string | null;
  /** Why cgroups are not used (mode `tag`), else null. */
  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;
}

export class HealthDto {
  /** `ok`, or `degraded` while something in `problems` keeps it from doing its work (it still answers). */
  @ApiProperty({ enum: ['ok', 'degraded'] })
  status!: 'ok' | 'degraded';
  /**
   * What keeps it from its work, one line each (empty when `ok`): writes refused by storage (disk
   * full, the database locked), the state directory moved or removed (launches are held); in a
   * cluster, NATS out of reach for over 3 s (local jobs run on) or two servers with one node id.
   */
  problems!: string[];
  /**
   * What will soon keep it from its work, one line each, while `status` is still `ok` (the state
   * directory's file system nearly full).
   */
  warnings!: string[];
  /** Server version (package version). */
  version!: string;
  /** When this server process started (ISO 8601); changes after a restart. */
  started_at!: string;
  /** How a job's processes are found: a cgroup v2 per job, or their environment tag only. */
  process_tracking!: ProcessTrackingDto;
}

export class ServerConfigPathDto {
  /** Absolute path of the server_config.yaml in use, symbolic links resolved (its real path). */
  path!: string;
}

export class RestartScheduledDto {
  /** Always `scheduled`: the server re-execs shortly after answering. */
  restart!: string;
  /**
   * What the next worker will warn of as it reads its config file and environment again: an
   * unknown or misspelt key ignored, say (`…/server_config.yaml: unknown key args.kill_grace_secs
   * ignored; did you mean kill_grace_seconds?`). Empty when there is nothing.
   */
  warnings!: string[];
}
