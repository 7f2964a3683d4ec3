export * from './journal';
export * from './journal.module';
export * from './infrastructure/journal-entry.entity';
