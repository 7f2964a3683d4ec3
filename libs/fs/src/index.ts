export * from './fs.module';
export * from './fs.events';
export * from './fs-guard';
export * from './infrastructure/search-root.entity';
export * from './infrastructure/search-root.replay';
export * from './fs-errors';
export * from './regular-file';
export { FileOps, FS_GUARD, ASSET_TYPES, requireConfirmation } from './file-ops';
export { SearchRootRepository, type SearchRoot } from './infrastructure/search-root.repository';
