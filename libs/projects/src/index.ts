export * from './projects.module';
export * from './projects.events';
export * from './infrastructure/config-override.entity';
export * from './infrastructure/config-override.replay';
