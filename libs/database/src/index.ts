export * from './sqlite-data-source';
export * from './database';
export * from './insert-row';
export * from './database.module';
export * from './storage-errors';
