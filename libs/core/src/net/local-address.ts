import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

// Whether a host names this machine, decided on the address a connection would reach, in whatever
// spelling it came (127.1, 2130706433, [::ffff:127.0.0.1], ::ffff:7f00:1, 0.0.0.0, a name in
// /etc/hosts): a check that compared spellings let a request through to a port it meant to verify.

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * `host` as one IP literal — brackets off, lower case, IPv4 shorthands (`127.1`, `2130706433`)
 * written out, an IPv4-mapped IPv6 address (`::ffff:7f00:1`) as its IPv4 address — or null when it
 * is not an IP address (a name).
 */
export function canonicalIp(host: string): string | null {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  let ip: string;
  try {
    // WHATWG URL parsing writes every IPv4 form out and compresses IPv6.
    ip = new URL(`http://${isIP(bare) === 6 ? `[${bare}]` : bare}/`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return null;
  }
  if (isIP(ip) === 4) return ip;
  if (isIP(ip) !== 6) return null;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!mapped) return ip;
  const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** `localhost`, or an address of 127.0.0.0/8 or ::1 in any spelling (see {@link canonicalIp}). */
export function isLoopback(host: string): boolean {
  const bare = host
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');
  if (bare === 'localhost') return true;
  const ip = canonicalIp(bare);
  return ip !== null && LOOPBACK.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The addresses (canonical IP literals) a connection to `host` reaches on this machine; empty when
 * `host` is not this machine or is a name other than `localhost` (see {@link resolveLocalTargets}).
 * `localhost` may be either loopback address; a connection to the unspecified address (`0.0.0.0`,
 * `::`) reaches loopback on Linux; this machine's own interface addresses reach it too.
 */
export function localTargets(host: string): string[] {
  const bare = host
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');
  if (bare === 'localhost') return ['127.0.0.1', '::1'];
  const ip = canonicalIp(bare);
  if (ip === null) return [];
  if (ip === '0.0.0.0') return ['127.0.0.1'];
  if (ip === '::') return ['::1'];
  if (isLoopback(ip)) return [ip];
  return ownAddresses().has(ip) ? [ip] : [];
}

/** This machine's interface addresses (canonical), read at most once a second: asked per proxied request. */
let own: { at: number; addresses: Set<string> } | null = null;
function ownAddresses(): Set<string> {
  const now = Date.now();
  if (!own || now - own.at >= 1000 || now < own.at)
    own = {
      at: now,
      addresses: new Set(
        Object.values(networkInterfaces()).flatMap((list) =>
          (list ?? []).map((i) => canonicalIp(i.address) ?? ''),
        ),
      ),
    };
  return own.addresses;
}

/**
 * {@link localTargets} of every address `host` resolves to (a name through the system resolver, as a
 * connection would: `/etc/hosts` first); empty when it names no address of this machine or does not
 * resolve.
 */
export async function resolveLocalTargets(host: string): Promise<string[]> {
  const direct = localTargets(host);
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (direct.length || canonicalIp(bare) !== null) return direct;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(bare, { all: true });
  } catch {
    return [];
  }
  return [...new Set(addresses.flatMap((a) => localTargets(a.address)))];
}
