export * from './service-spec';
export * from './services-config-file';
export * from './service-supervisor';
export * from './services.module';
