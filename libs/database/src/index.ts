export * from './sqlite-data-source';
export * from './database';
export * from './row-statements';
export * from './database.module';
export * from './storage-errors';
export * from './savepoint';
export * from './wal-checkpointer';
export * from './like-pattern';
