import { Provider } from '@nestjs/common';
import { SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { JobTypeRegistry, UserJobTypeConfig } from './job-types';

/** Built-in job types plus the `job_types:` block of server_config.yaml (boot fails on a bad entry). */
export const JobTypeRegistryProvider: Provider = {
  provide: JobTypeRegistry,
  inject: [SERVER_CONFIG],
  useFactory: (config: ServerConfig) =>
    JobTypeRegistry.withBuiltins(config.job_types as readonly UserJobTypeConfig[] | undefined),
};
