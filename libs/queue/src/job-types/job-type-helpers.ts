import { join } from 'node:path';
import { JobEndpoint, JobParamSchema, JobParamType, LaunchSpec } from './job-type';

/** Terse schema literal: `param('port', 'integer', 'Listening port', { required: true, min: 1 })`. */
export function param(
  name: string,
  type: JobParamType,
  description: string,
  extra: Partial<Omit<JobParamSchema, 'name' | 'type' | 'description'>> = {},
): JobParamSchema {
  return { name, type, required: false, description, ...extra };
}

export const portParam = (description: string): JobParamSchema =>
  param('port', 'integer', description, { required: true, min: 1, max: 65535 });

export const argsParam = (description = 'Extra arguments appended verbatim'): JobParamSchema =>
  param('args', 'string_list', description, { default: [] });

export function spec(argv: string[], env: Record<string, string> = {}): LaunchSpec {
  return { argv, env, secretFiles: [] };
}

// Build functions receive validated params; these getters only guard against a caller that skipped
// validation, which is a programming error rather than user input.

export function getString(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string') throw new TypeError(`job param ${name}: expected a validated string`);
  return value;
}

export function getOptionalString(params: Record<string, unknown>, name: string): string | undefined {
  return params[name] === undefined ? undefined : getString(params, name);
}

export function getNumber(params: Record<string, unknown>, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') throw new TypeError(`job param ${name}: expected a validated number`);
  return value;
}

export function getOptionalNumber(params: Record<string, unknown>, name: string): number | undefined {
  return params[name] === undefined ? undefined : getNumber(params, name);
}

export function getBoolean(params: Record<string, unknown>, name: string): boolean {
  const value = params[name];
  if (typeof value !== 'boolean') throw new TypeError(`job param ${name}: expected a validated boolean`);
  return value;
}

export function getStringList(params: Record<string, unknown>, name: string): string[] {
  const value = params[name];
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`job param ${name}: expected a validated string list`);
  }
  return value.slice();
}

export function getEnvMap(params: Record<string, unknown>, name: string): Record<string, string> {
  const value = params[name];
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`job param ${name}: expected a validated env map`);
  }
  return { ...(value as Record<string, string>) };
}

/** A wildcard bind is reached over loopback; anything else at the address it binds. */
export function connectHost(bindHost: string): string {
  return bindHost === '0.0.0.0' || bindHost === '' ? '127.0.0.1' : bindHost === '::' ? '::1' : bindHost;
}

export function httpEndpoint(
  bindHost: string,
  port: number,
  extra: Partial<Pick<JobEndpoint, 'tokenFile' | 'pathPrefix'>> = {},
): JobEndpoint {
  return { scheme: 'http', host: connectHost(bindHost), port, bindHost, pathPrefix: '', ...extra };
}

/** `<secretsDir>/<queueId>.<name>`: the launcher writes it 0600, job cleanup removes it. */
export function jobSecretPath(secretsDir: string, queueId: string, name: string): string {
  // The id becomes a file name: refuse anything that could step out of the secrets dir.
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(queueId))
    throw new Error(`invalid queue id for a file name: ${queueId}`);
  return join(secretsDir, `${queueId}.${name}`);
}
