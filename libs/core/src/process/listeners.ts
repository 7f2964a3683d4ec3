import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fdTargets, listPids } from './proc';

// Who listens on a loopback port: the kernel's socket tables (/proc/net/tcp, /proc/net/tcp6) give
// each listening socket's inode and owner uid; a process holds it when one of its /proc/<pid>/fd
// links reads `socket:[<inode>]`. Another user's fds are unreadable: such a socket is never found
// among our processes' fds, which is the answer wanted (not theirs).

/** One TCP socket in LISTEN state. */
export interface TcpListener {
  /** Its local address as an IP literal (`127.0.0.1`, `0.0.0.0`, `::`, `::1`, `::ffff:127.0.0.1`). */
  address: string;
  port: number;
  /** The socket's inode: what `/proc/<pid>/fd/<n>` links to (`socket:[<inode>]`). */
  inode: string;
  /** The uid that created it. */
  uid: number;
}

const LISTEN = '0A';

/** The kernel's hex address (32-bit words in host byte order) as an IP literal. */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const n = parseInt(hex.slice(word, word + 8), 16);
    // Each word is printed as the host-order u32 of 4 network-order bytes (x86, arm64: little-endian).
    bytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  const full = groups.join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  if (full.startsWith('0:0:0:0:0:ffff:')) return `::ffff:${bytes.slice(12).join('.')}`;
  return full;
}

/** Parses one /proc/net/tcp{,6} table: its LISTEN sockets on `port` (every port when omitted). */
export function parseTcpListeners(table: string, port?: number): TcpListener[] {
  const wanted = port === undefined ? null : `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const out: TcpListener[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN) continue;
    const local = f[1];
    if (wanted !== null && !local.endsWith(wanted)) continue;
    const colon = local.indexOf(':');
    out.push({
      address: decodeAddress(local.slice(0, colon)),
      port: parseInt(local.slice(colon + 1), 16),
      uid: Number(f[7]),
      inode: f[9],
    });
  }
  return out;
}

function readTable(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // no IPv6 on this host, or no /proc
  }
}

/**
 * Whether a connection to `target` (a canonical IP literal, see localTargets) on a listener's port
 * lands on a socket bound to `bound`: the same address, or a wildcard that covers it (`0.0.0.0`
 * covers IPv4, `::` both families, `::ffff:a.b.c.d` is the IPv4 address).
 */
function covers(bound: string, target: string): boolean {
  if (bound === target || bound === `::ffff:${target}`) return true;
  if (isIP(target) === 4) return bound === '0.0.0.0' || bound === '::';
  return bound === '::';
}

/**
 * The LISTEN sockets on `port` a connection to any of `targets` may land on (the addresses
 * localTargets gives for the host it names). Empty while nothing listens there.
 */
export function listenersReachedBy(targets: readonly string[], port: number): TcpListener[] {
  const all = [
    ...parseTcpListeners(readTable('/proc/net/tcp'), port),
    ...parseTcpListeners(readTable('/proc/net/tcp6'), port),
  ];
  return all.filter((l) => targets.some((t) => covers(l.address, t)));
}

/** The socket inodes process `pid` holds open (none when it is gone or its fds are not ours to read). */
export function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const target of fdTargets(pid) ?? []) {
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]);
  }
  return inodes;
}

/** Which of `pids` holds socket `inode` open; null when none does. */
export function holderAmong(pids: Iterable<number>, inode: string): number | null {
  for (const pid of pids) if (socketInodesOf(pid).has(inode)) return pid;
  return null;
}

/** Any process whose fds we can read that holds socket `inode` (for messages); null when none is found. */
export function findSocketHolder(inode: string): number | null {
  return holderAmong(listPids(), inode);
}
