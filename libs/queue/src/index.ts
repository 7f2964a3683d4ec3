export * from './job-types';
export * from './queue.module';
export * from './commands/submit-job.command';
export * from './commands/cancel-queue-item.command';
export * from './job-arrays';
export * from './arrays.dto';
export * from './job-env';
