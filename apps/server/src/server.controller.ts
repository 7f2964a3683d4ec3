import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors, SERVER_CONFIG, ServerConfig, StateDirectory } from '@trainyard/core';
import { Database } from '@trainyard/database';
import { HealthDto, RestartScheduledDto, ServerConfigPathDto } from './server.dto';
import { ServerLifecycle } from './server-lifecycle';
import { packageVersion } from '@trainyard/core';
import { JobProcesses } from '@trainyard/scheduler';
import { ClusterService } from '@trainyard/cluster';

@ApiTags('server')
@Controller()
export class ServerController {
  private readonly version = packageVersion();

  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly lifecycle: ServerLifecycle,
    private readonly processes: JobProcesses,
    private readonly db: Database,
    private readonly stateDir: StateDirectory,
    private readonly cluster: ClusterService,
  ) {}

  /** Liveness (open route), and what keeps the server from its work (`degraded`, with `problems`). */
  @Get('health')
  getHealth(): HealthDto {
    const tracking = this.processes.tracking;
    const refused = this.db.storageProblem;
    const problems = [
      ...(refused ? [`writes are refused since ${refused.at}: ${refused.message}`] : []),
      ...[this.stateDir.problem(), this.cluster.healthProblem()].filter((p): p is string => p !== null),
    ];
    return {
      status: problems.length ? 'degraded' : 'ok',
      problems,
      warnings: [this.stateDir.lowSpace()].filter((w): w is string => w !== null),
      version: this.version,
      started_at: this.lifecycle.startedAt,
      process_tracking: {
        mode: tracking.mode,
        cgroup: tracking.mode === 'cgroup' ? tracking.parent : null,
        reason: tracking.mode === 'tag' ? tracking.reason : null,
      },
    };
  }

  /** Path of the server_config.yaml this server loaded. */
  @Get('server-config-path')
  @ApiErrors(401)
  getServerConfigPath(): ServerConfigPathDto {
    return { path: this.config.config_file };
  }

  /**
   * Re-execs the server in place; running jobs keep running and are re-attached. 409 (the server keeps
   * running) when the next one could not start, e.g. the config file was edited into an invalid one.
   */
  @Post('server/restart')
  @HttpCode(202)
  @ApiErrors(401, 403, 409)
  restartServer(): RestartScheduledDto {
    return { restart: 'scheduled', warnings: this.lifecycle.scheduleRestart() };
  }
}
