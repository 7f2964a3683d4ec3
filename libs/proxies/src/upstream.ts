import { DomainError, isLoopback, resolveLocalTargets } from '@trainyard/core';

/**
 * A proxy target named by the caller (`?base=`): http or https only, whatever else is configured.
 * Returns the URL without a trailing slash on its path, so `${base}/models` joins cleanly.
 */
export function parseBase(raw: string | undefined, field = 'base'): URL {
  let url: URL;
  try {
    url = new URL(raw ?? '');
  } catch {
    throw badBase(field, `${field} must be an absolute http(s) URL (got ${JSON.stringify(raw ?? '')})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badBase(field, `${field} must use http or https (got ${url.protocol.replace(/:$/, '')})`);
  if (url.username || url.password) throw badBase(field, `${field} must not carry credentials`);
  url.hash = '';
  url.search = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function badBase(field: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, [{ field, message }]);
}

/** `URL.hostname` keeps IPv6 brackets; the plain address is what the comparisons need. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Where on this machine a request to `url` lands: `targets`, the addresses it reaches (see
 * resolveLocalTargets: loopback in any spelling, `0.0.0.0`, this machine's own addresses, a name
 * resolving to one; empty: another host), and whether that is loopback (the unspecified address
 * is: a connection to it reaches loopback). A job's port is checked at every target; what only
 * loopback may reach (an unregistered dataset server, a locked inference proxy) asks `loopback`.
 */
export async function localReachOf(url: URL): Promise<{ targets: string[]; loopback: boolean }> {
  const targets = await resolveLocalTargets(bareHost(url));
  return { targets, loopback: targets.some(isLoopback) };
}

/** The port a URL reaches, defaults included. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** `scheme://host:port/path` with no trailing slash: the key the dataset registry compares on. */
export function normalizedBase(url: URL): string {
  return `${url.protocol}//${url.hostname.toLowerCase()}:${portOf(url)}${url.pathname.replace(/\/+$/, '')}`;
}

/** A host as it goes in a URL's authority: IPv6 literals bracketed (`::1` → `[::1]`). */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
