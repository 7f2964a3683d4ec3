import { hostname, networkInterfaces } from 'node:os';
import type { IncomingHttpHeaders } from 'node:http';
import { HOST_NAME, isLoopback, ServerConfig } from '@trainyard/core';

/** A refusal the HTTP gate and the WebSocket gate both send: status, stable code, message. */
export interface Refusal {
  status: number;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'CSRF_ORIGIN_MISMATCH' | 'HOST_NOT_ALLOWED' | 'ROUTE_NOT_FOUND';
  message: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** GET, HEAD and OPTIONS change nothing; every other method (and a WebSocket upgrade) may. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/** `host[:port]` split and canonicalised (lower case, IPv6 in brackets), or null when malformed. */
export function parseHost(value: string): { name: string; port: string | null } | null {
  if (!HOST_NAME.test(value)) return null;
  try {
    const url = new URL(`http://${value}`);
    const port = /:(\d+)$/.exec(value.replace(/^\[[^\]]*\]/, ''))?.[1] ?? null;
    return { name: url.hostname.replace(/\.$/, ''), port: port === null ? null : String(Number(port)) };
  } catch {
    return null;
  }
}

const MAX_REMEMBERED_HOSTS = 64;

/**
 * The names this server answers to in the `Host` header. A page on a foreign domain that rebinds its
 * DNS to our address still sends its own name, so refusing unknown names defeats DNS rebinding.
 *
 * Allowed: `localhost` and loopback IPs, the bind address, `--allowed-host` entries and any names a
 * caller adds (cluster addresses). A wildcard bind (0.0.0.0, ::) also allows this machine's host
 * name and the addresses of its interfaces. Ports are not compared for these names (an SSH tunnel or
 * a proxy changes the port, a rebinding page changes the name); an `--allowed-host NAME:PORT` entry
 * allows that name on that port only.
 */
export class HostPolicy {
  private readonly anyPort = new Set<string>();
  private readonly withPort = new Set<string>();

  constructor(config: Pick<ServerConfig, 'host' | 'allowed_host'>, extra: readonly string[] = []) {
    const bind = parseHost(
      config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host,
    );
    const wildcard = bind !== null && ['0.0.0.0', '[::]'].includes(bind.name);
    if (bind && !wildcard) this.anyPort.add(bind.name);
    if (bind && !isLoopback(bind.name)) this.anyPort.add(hostname().toLowerCase());
    if (wildcard) {
      for (const address of Object.values(networkInterfaces()).flat()) {
        if (!address) continue;
        const name = parseHost(
          address.family === 'IPv6' ? `[${address.address.split('%')[0]}]` : address.address,
        );
        if (name) this.anyPort.add(name.name);
      }
    }
    for (const entry of [...config.allowed_host, ...extra]) {
      const parsed = parseHost(entry);
      if (!parsed) continue;
      if (parsed.port === null) this.anyPort.add(parsed.name);
      else this.withPort.add(`${parsed.name}:${parsed.port}`);
    }
  }

  /**
   * Verdicts on the `Host` values seen so far: clients send a handful, and parsing one (a URL) was
   * ~10 µs of every request. Bounded, so random names cannot grow it.
   */
  private readonly verdicts = new Map<string, boolean>();

  /** Whether a request's `Host` header names this server. */
  allows(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return false;
    let verdict = this.verdicts.get(hostHeader);
    if (verdict === undefined) {
      verdict = this.judge(hostHeader);
      if (this.verdicts.size < MAX_REMEMBERED_HOSTS) this.verdicts.set(hostHeader, verdict);
    }
    return verdict;
  }

  private judge(hostHeader: string): boolean {
    const host = parseHost(hostHeader);
    if (!host) return false;
    if (host.name === 'localhost' || isLoopback(host.name) || this.anyPort.has(host.name)) return true;
    return host.port !== null && this.withPort.has(`${host.name}:${host.port}`);
  }
}

/**
 * True when the browser's `Origin` names the same host and port as the request's `Host`. The scheme
 * is not compared: behind a TLS-terminating proxy the page is https while this server sees http,
 * and no other page can share our host and port.
 */
export function originMatchesHost(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  const host = headers.host;
  if (!origin || !host) return false;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Whether the page that sent a request was served over TLS: the connection is https, or the
 * browser's own `Origin` (ours, see {@link originMatchesHost}) is — behind a TLS-terminating proxy
 * this server sees plain http, and a session cookie without `Secure` would also go out over http.
 */
export function servedOverTls(request: { protocol: string; headers: IncomingHttpHeaders }): boolean {
  if (request.protocol === 'https') return true;
  return originMatchesHost(request.headers) && request.headers.origin!.startsWith('https:');
}

/** How many Host headers `rawHeaders` (Node's name, value, name, value… list) holds; counted on every request. */
function hostHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

/**
 * Checks that hold with and without auth: the `Host` must be ours, and a request that may change
 * something (any method but GET/HEAD/OPTIONS, or a WebSocket upgrade) must not carry a foreign
 * `Origin` — a browser sends one on every cross-origin write, even a body-less `no-cors` POST.
 */
export function checkRequestSource(
  headers: IncomingHttpHeaders,
  changes: boolean,
  hosts: HostPolicy,
  rawHeaders: readonly string[] = [],
): Refusal | null {
  // Node keeps the first of several Host headers: a proxy or cache in front may read another one.
  if (hostHeaderCount(rawHeaders) > 1)
    return {
      status: 400,
      code: 'HOST_NOT_ALLOWED',
      message: 'The request has more than one Host header; send one (RFC 9112)',
    };
  if (!hosts.allows(headers.host)) {
    const host = headers.host === undefined ? '(none)' : JSON.stringify(headers.host);
    return {
      status: 421,
      code: 'HOST_NOT_ALLOWED',
      message: `Host ${host} is not a name this server answers to; start the server with --allowed-host NAME to add one`,
    };
  }
  if (changes && headers.origin !== undefined && !originMatchesHost(headers)) {
    return {
      status: 403,
      code: 'CSRF_ORIGIN_MISMATCH',
      message: `Origin ${JSON.stringify(headers.origin)} is not this server: changes must come from this server’s own pages`,
    };
  }
  return null;
}
