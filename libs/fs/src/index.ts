export * from './fs.module';
export * from './fs.events';
export * from './fs-guard';
export * from './infrastructure/search-root.entity';
export * from './infrastructure/search-root.replay';
