export * from './sqlite-data-source';
export * from './database';
export * from './row-writes';
export * from './database.module';
export * from './storage-errors';
