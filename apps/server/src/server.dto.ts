export class HealthDto {
  /** Always `ok` while the server answers. */
  status!: string;
  /** Server version (package version). */
  version!: string;
  /** When this server process started (ISO 8601); changes after a restart. */
  started_at!: string;
}

export class ServerConfigPathDto {
  /** Absolute path of the server_config.yaml in use. */
  path!: string;
}

export class RestartScheduledDto {
  /** Always `scheduled`: the server re-execs shortly after answering. */
  restart!: string;
}
