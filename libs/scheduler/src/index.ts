export * from './placement';
export * from './scheduler.module';
export * from './supervision/active-jobs';
export * from './dispatcher';
export * from './commands/set-scheduler-enabled.command';
export * from './infrastructure/scheduler-state.entity';
