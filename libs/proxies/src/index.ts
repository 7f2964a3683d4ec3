export * from './proxies.module';
export * from './forward';
export * from './upstream';
export * from './service-endpoints';
export * from './job-listeners';
export * from './generation-presets';
export * from './dataset-registry';
