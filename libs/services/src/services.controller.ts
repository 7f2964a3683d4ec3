import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@trainyard/core';
import { toJobDto } from '@trainyard/jobs';
import { DEFAULT_RESTART } from './service-spec';
import { ServiceStatus, ServiceSupervisor } from './service-supervisor';
import {
  ServiceDto,
  ServiceParamsDto,
  SetServiceEnabledRequestDto,
  UpsertServiceRequestDto,
} from './services.dto';

@ApiTags('services')
@Controller('services')
export class ServicesController {
  constructor(private readonly supervisor: ServiceSupervisor) {}

  /** Every service in server_config.yaml with its state, running instance, health and restarts. */
  @Get()
  @ApiErrors(401)
  async listServices(): Promise<ServiceDto[]> {
    return (await this.supervisor.list()).map(toServiceDto);
  }

  /**
   * Creates or replaces `services.<type>.<name>` in server_config.yaml (comments and key order kept).
   * Enabled: started now unless an instance with the same signature is live; a running instance of
   * the old args is aborted. Bad type, name or args: 400 naming the field, nothing written.
   */
  @Post()
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 409)
  async upsertService(@Body() body: UpsertServiceRequestDto): Promise<ServiceDto> {
    return toServiceDto(await this.supervisor.upsert(body));
  }

  /** Aborts its running instance (if any), then removes the entry from server_config.yaml. */
  @Delete(':type/:name')
  @HttpCode(204)
  @ApiErrors(400, 401, 403, 404, 409)
  async deleteService(@Param() params: ServiceParamsDto): Promise<void> {
    await this.supervisor.remove(params.type, params.name);
  }

  /** enabled: true starts it now (unless running); false aborts the running instance. Written to the file. */
  @Post(':type/:name/enabled')
  @HttpCode(200)
  @ApiErrors(400, 401, 403, 404, 409)
  async setServiceEnabled(
    @Param() params: ServiceParamsDto,
    @Body() body: SetServiceEnabledRequestDto,
  ): Promise<ServiceDto> {
    return toServiceDto(await this.supervisor.setEnabled(params.type, params.name, body.enabled));
  }
}

function toServiceDto(s: ServiceStatus): ServiceDto {
  const spec = s.spec;
  return {
    type: s.type,
    name: s.name,
    enabled: spec?.enabled ?? false,
    priority: spec?.priority ?? 0,
    requested_gpus: spec?.requested_gpus ?? 0,
    restart: spec?.restart ?? DEFAULT_RESTART,
    health_check: spec?.health ?? null,
    args: spec?.args ?? {},
    signature: spec?.signature ?? null,
    state: s.state,
    queue_id: s.job?.id ?? null,
    running: s.job?.status === 'running',
    health: s.health,
    last_probe: s.last_probe,
    restarts: s.restarts,
    consecutive_failures: s.consecutive_failures,
    next_attempt_at: s.next_attempt_at,
    last_exit: s.last_exit && { ...s.last_exit, queue_id: s.last_exit.id, id: undefined },
    error: s.error,
    job: s.job && toJobDto(s.job),
  } as ServiceDto;
}
