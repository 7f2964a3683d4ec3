export * from './metrics-registry';
export * from './http-metrics.hook';
export * from './metrics.module';
