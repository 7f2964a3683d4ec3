import { isIP } from 'node:net';
import { DomainError, isLoopback } from '@trainyard/core';

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

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x) and localhost. */
export function isLoopbackUrl(url: URL): boolean {
  const host = bareHost(url);
  return isLoopback(host) || (isIP(host) === 6 && /^::ffff:127\./.test(host));
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
