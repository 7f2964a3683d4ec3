import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsDefined, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { JobDto } from '@trainyard/jobs';
import { RESTART_POLICIES, type RestartPolicy } from './service-spec';
import { SERVICE_STATES, type ServiceState } from './service-supervisor';

export class HealthCheckDto {
  /** Path probed with `GET http://127.0.0.1:<port><path>`; 2xx/3xx is healthy. */
  path!: string;
  /** Port probed (default: the type's `port` param). */
  port!: number;
  /** Seconds between probes (default 10). */
  interval_s!: number;
  /**
   * Seconds the instance may take to answer its first probe before failures make it `unhealthy`
   * (default 600).
   */
  start_period_s!: number;
}

export class UpsertServiceRequestDto {
  /** A job type from GET /api/job-types that can run as a service (`inference`, `command`, ...). */
  @IsString()
  @MaxLength(64)
  type!: string;

  /** Operator-chosen label, `[A-Za-z0-9_-]+`; unique within the type. */
  @IsString()
  @MaxLength(128)
  name!: string;

  /** Start it now and on every boot. Default false. */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  /** The job's params, as a submit takes them (`"8137"` is read as 8137 where the type says integer). */
  @IsDefined()
  @IsObject()
  @ApiProperty({ type: 'object', additionalProperties: true })
  args!: Record<string, unknown>;

  /** Queue priority of its instances (default 0). */
  @IsOptional()
  @ApiProperty({ type: 'integer', required: false })
  priority?: number;

  /** GPUs per instance (default: the type's default_gpus — 1 for inference, 0 else; 0 is kept). */
  @IsOptional()
  @ApiProperty({ type: 'integer', minimum: 0, required: false })
  requested_gpus?: number;

  /** When to start it again after its instance ends (default on-failure). */
  @IsOptional()
  @ApiProperty({ enum: RESTART_POLICIES, enumName: 'RestartPolicy', required: false })
  restart?: RestartPolicy;

  /** HTTP health probe `{path, port?, interval_s?, start_period_s?}`. */
  @IsOptional()
  @ApiProperty({ type: HealthCheckDto, required: false })
  health?: Record<string, unknown>;
}

export class LastProbeDto {
  /** ISO 8601. */
  at!: string;
  /** It answered 2xx/3xx. */
  ok!: boolean;
  /** `GET /health → HTTP 404`, `GET /health → connection refused on port 8000`, `… → no answer within 5 s`. */
  result!: string;
}

export class SetServiceEnabledRequestDto {
  /** true: start now if not running; false: abort the running instance. */
  @IsBoolean()
  enabled!: boolean;
}

export class ServiceParamsDto {
  /** A service type (job type). */
  @IsString()
  @MaxLength(64)
  type!: string;

  @IsString()
  @MaxLength(128)
  name!: string;
}

export class ServiceExitDto {
  /** The instance's job id. */
  queue_id!: string;
  status!: string;
  termination_reason!: string | null;
  exit_code!: number | null;
  /** Why it ended, as the job's `error` says it (`command not found: tensorboard`), or null. */
  error!: string | null;
  ended_at!: string | null;
}

export class ServiceDto {
  type!: string;
  name!: string;
  enabled!: boolean;
  priority!: number;
  requested_gpus!: number;
  @ApiProperty({ enum: RESTART_POLICIES, enumName: 'RestartPolicy' })
  restart!: RestartPolicy;
  health_check!: HealthCheckDto | null;
  /** The params as written in server_config.yaml (operator keys apart). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  args!: Record<string, unknown>;
  /** sha256 over the type and the normalised params: jobs with the same one are this service. */
  signature!: string | null;
  /**
   * invalid (bad config entry, see `error`), disabled, stopped (enabled, not running: stopped on
   * request or ended under its restart policy), refused (enabled, but its start was refused, `error`
   * says why: its port held by another job — tried again whenever a job ends), queued, starting,
   * running, stopping, backoff (waiting to restart), crash_loop (waiting to restart after 3+ crashes
   * in a row).
   */
  @ApiProperty({ enum: SERVICE_STATES, enumName: 'ServiceState' })
  state!: ServiceState;
  /** The live instance (queued or active job) with this service's signature. */
  queue_id!: string | null;
  /** True iff that instance is running. */
  running!: boolean;
  /** Health of the running instance, when the service has a probe. */
  @ApiProperty({ enum: ['starting', 'healthy', 'unhealthy'], nullable: true })
  health!: 'starting' | 'healthy' | 'unhealthy' | null;
  /** The live instance's last health probe (null before the first, and without one): why it is unhealthy. */
  @ApiProperty({ type: LastProbeDto, nullable: true })
  last_probe!: LastProbeDto | null;
  /** Automatic restarts since boot (or since it was last enabled or changed). */
  restarts!: number;
  /** Crashes in a row; reset after 10 min up. Backoff = 1 s × 2^(n-1), at most 5 min. */
  consecutive_failures!: number;
  /** When the next automatic restart is due (ISO 8601), or null. */
  next_attempt_at!: string | null;
  /** How its last instance ended. */
  last_exit!: ServiceExitDto | null;
  /** Config errors, or why the last start failed. */
  error!: string | null;
  job!: JobDto | null;
}
