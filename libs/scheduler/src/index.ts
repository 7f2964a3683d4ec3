export * from './placement';
export * from './scheduler.module';
export * from './supervision/active-jobs';
export * from './dispatcher';
export * from './commands/set-scheduler-enabled.command';
export * from './scheduler.events';
export * from './infrastructure/scheduler-state.entity';
export * from './infrastructure/scheduler-state.replay';
