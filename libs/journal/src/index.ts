export * from './journal';
export * from './journal-entry-type';
export * from './journal-openapi';
export * from './journal-replay';
export * from './journal.module';
export * from './infrastructure/journal-entry.entity';
