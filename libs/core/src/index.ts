export * from './domain-error';
export * from './secure-files';
export * from './state-paths';
export * from './all-at-once';
export * from './ids';
export * from './config/yaml-error';
export * from './near-names';
export * from './plural';
export * from './clock';
export * from './config/settings';
export * from './config/server-config';
export * from './config/config-template';
export * from './http/error-response.dto';
export * from './http/api-errors.decorator';
export * from './http/validation';
export * from './http/undeclared-input.guard';
export * from './http/redact';
export * from './http/domain-exception.filter';
export * from './ws/ws-router';
export * from './ws/ws-frames.dto';
export * from './core.module';
export * from './http/page-query.dto';
export * from './http/list-cursor';
export * from './process/proc';
export * from './repo-root';
export * from './http/canonical-int';
export * from './http/label';
export * from './http/query-bool';
export * from './process/cgroup';
export * from './process/listeners';
export * from './net/local-address';
export * from './state-directory';
export * from './http/priority-property';
// When a dependency can be met: the scheduler's rule, which the console's kill confirmation also asks.
export { type DependencyTarget, evaluateDependency } from '@trainyard/sdk';
// New file names are refused with the characters the clients escape when they show text.
export { firstUnsafeChar } from '@trainyard/sdk';
// A generation preset is checked by the rules the console's Inference form checks its fields with.
export { GENERATION_PARAMS, generationParamProblem } from '@trainyard/sdk';
// The system error code under a failed fetch, read as the SDK's client reads it.
export { fetchErrorCode } from '@trainyard/sdk';
