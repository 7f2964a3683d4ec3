// @trainyard/sdk: the client generated from openapi/openapi.json (`npm run sdk:generate`; never edit
// generated/ by hand) plus the hand-written parts the spec cannot describe: a configured client,
// typed errors, the WebSocket streams, and short-id lookup.
export * from './generated';
export { createClient, createConfig } from './generated/client';
export type { Client, Config, RequestResult } from './generated/client';
export * from './trainyard-client';
export * from './repeat-requests';
export * from './errors';
export * from './streams';
export * from './durations';
export * from './sizes';
export * from './job-limits';
export * from './job-ids';
export * from './job-pages';
export * from './gpu-kill';
export * from './job-runtime';
export * from './escape-controls';
export * from './dependencies';
export * from './generation-params';
