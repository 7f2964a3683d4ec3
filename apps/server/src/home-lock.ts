import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

/**
 * One server per state directory. Two servers on one TRAINYARD_HOME would both re-attach its jobs and
 * split its state (one's scheduler pause or GPU maintenance ignored by the other). The lock is a
 * Linux abstract-namespace socket named after the directory's device and inode: binding it is atomic,
 * and the kernel lets go of it when the holder dies however it dies (no stale pidfile to clean up).
 * Per network namespace, like every abstract socket.
 *
 * An abstract socket has no owner or mode, and its name is listed in /proc/net/unix for every user to
 * read, so any local user can take the name while no server holds it, and answer in the server's
 * place. Whoever asks the holder therefore proves it: it sends a nonce (`<32 hex>\n`), and the holder
 * answers `<pid> <port|-> <proof> <host|->\n`, the proof an HMAC-SHA256 of the nonce, pid, port and
 * host (a server before the host answered without it, and proved the rest) keyed with
 * `lock_key`, a random secret (0600) in the state directory that only its owner can read. A holder
 * without the proof is never trusted with a token, a request or a signal (see {@link HomeHolder}).
 */
export class HomeInUseError extends Error {}

/** Where a server's API listens, as a client on its machine reaches it. */
export interface ListenAddress {
  port: number;
  /**
   * The host for a URL: the address it is bound to, or 127.0.0.1 when that is every address
   * (0.0.0.0, ::); an IPv6 one in brackets (`[::1]`). See {@link urlHostOfBound}.
   */
  host: string;
}

/** Who holds a state directory's lock: its pid, and its API's port (null until its worker listens). */
export interface HomeHolder {
  pid: number;
  port: number | null;
  /** Its API's host for a URL (see {@link ListenAddress}); null when it did not say (an older server). */
  host: string | null;
  /**
   * Whether it proved it knows the directory's `lock_key`: false for another user's process holding
   * the name (or a Trainyard from before the proof), whose pid and port are only its word.
   */
  proven: boolean;
}

const KEY_FILE = 'lock_key';
const NONCE = /^[0-9a-f]{32}$/;
/** How long either side waits for the other's line. */
const ANSWER_TIMEOUT_MS = 1000;

/**
 * Takes the lock for `home` (created 0700 if missing, with its `lock_key`), held until this process
 * exits. Null when the directory cannot be made or read: the server's own checks then say why it
 * cannot start. `listening` says where this server's API listens (null while it does not know yet).
 */
export async function lockHome(
  home: string,
  listening: () => ListenAddress | null = () => null,
): Promise<Server | null> {
  let dev: number, ino: number;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    ({ dev, ino } = statSync(home));
    makeKey(home);
  } catch {
    return null;
  }
  const name = lockName(dev, ino);
  const server = createServer((socket) => answer(socket, home, listening()));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(name, () => resolve());
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const holder = await askHolder(name, home);
    throw new HomeInUseError(
      holder && !holder.proven
        ? `the lock of ${home} is held by pid ${holder.pid}, which cannot prove it is a Trainyard server of this directory ` +
            `(another local user's process holding its name, or a Trainyard older than this one; \`ss -xlp | grep trainyard-home\` names it): ` +
            'stop that process, or give this server another TRAINYARD_HOME'
        : `${home} is in use by another Trainyard server${holder ? ` (pid ${holder.pid})` : ''}: stop it first, or give this one another TRAINYARD_HOME`,
    );
  }
  server.unref(); // holds the name, never keeps the process alive
  return server;
}

/**
 * Creates `home`'s lock key (0600, random) unless it has a valid one; the first of two racing servers
 * wins. One left empty or cut short (a crash or a full disk during the first start) is replaced,
 * write-then-rename: else no server could ever prove itself there again.
 */
function makeKey(home: string): void {
  const file = join(home, KEY_FILE);
  const key = () => randomBytes(32).toString('hex');
  try {
    writeFileSync(file, key(), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (readKey(home)) return;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, key(), { mode: 0o600 });
    renameSync(tmp, file);
  }
}

/** `home`'s lock key, read at each use (a racing first start may have just written it); null if unreadable. */
function readKey(home: string): Buffer | null {
  try {
    const text = readFileSync(join(home, KEY_FILE), 'utf8');
    return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : null;
  } catch {
    return null;
  }
}

function proofOf(key: Buffer, nonce: string, pid: number, port: string, host?: string): Buffer {
  const said = `trainyard-home-lock ${nonce} ${pid} ${port}${host === undefined ? '' : ` ${host}`}`;
  return createHmac('sha256', key).update(said).digest();
}

/**
 * The host a client on this machine puts in a URL to reach a socket bound to `address` (what
 * `server.address().address` says): the address itself, but 127.0.0.1 for every address (0.0.0.0,
 * ::), and an IPv6 one in brackets. A server bound to one address alone is not reached on another.
 */
export function urlHostOfBound(address: string): string {
  if (address === '0.0.0.0' || address === '::' || address === '') return '127.0.0.1';
  return isIP(address) === 6 ? `[${address}]` : address;
}

/** A host as {@link urlHostOfBound} writes it (an IP literal), else null: nothing else is trusted. */
function urlHostOrNull(text: string): string | null {
  const bracketed = /^\[(.*)\]$/.exec(text);
  if (bracketed) return isIP(bracketed[1]) === 6 ? text : null;
  return isIP(text) === 4 ? text : null;
}

/** The holder's side: reads the asker's nonce line, answers with pid, port, proof and host. */
function answer(socket: Socket, home: string, listening: ListenAddress | null): void {
  let text = '';
  socket.setTimeout(ANSWER_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    text += String(chunk);
    const end = text.indexOf('\n');
    if (end < 0) {
      if (text.length > 64) socket.destroy();
      return;
    }
    const nonce = text.slice(0, end);
    if (!NONCE.test(nonce)) return void socket.destroy();
    const port = listening === null ? '-' : String(listening.port);
    const host = listening?.host ?? '-';
    const key = readKey(home);
    const proof = key ? proofOf(key, nonce, process.pid, port, host).toString('hex') : '-';
    socket.end(`${process.pid} ${port} ${proof} ${host}\n`);
  });
}

/** The lock of the directory with this device and inode (abstract namespace: no file). Exported for tests. */
export function lockName(dev: number, ino: number): string {
  return `\0trainyard-home-${dev}-${ino}`;
}

/**
 * The process holding `home`'s lock, or null when none does (or the directory is missing). The CLI
 * asks this to find the server's port, and when the API refuses a connection: a held lock means the
 * server is up and replacing its worker (a restart), so the request is worth sending again — when it
 * is the server the CLI talks to (the same port). Only a `proven` holder is that server.
 */
export async function homeHolder(home: string): Promise<HomeHolder | null> {
  let dev: number, ino: number;
  try {
    ({ dev, ino } = statSync(home));
  } catch {
    return null;
  }
  return askHolder(lockName(dev, ino), home);
}

/** What the holder answers with, or null when nobody holds the name or it does not answer in time. */
function askHolder(name: string, home: string): Promise<HomeHolder | null> {
  return new Promise((resolve) => {
    const nonce = randomBytes(16).toString('hex');
    let text = '';
    let connected = false;
    const socket = createConnection(name, () => {
      connected = true;
      socket.write(`${nonce}\n`);
    });
    const done = (holder: HomeHolder | null) => {
      socket.destroy();
      resolve(holder);
    };
    // Held but silent (or not our answer): held all the same, by something that proves nothing.
    const unproven = () =>
      done(
        connected
          ? { pid: Number(/^\d+/.exec(text)?.[0] ?? 0), port: null, host: null, proven: false }
          : null,
      );
    socket.setTimeout(ANSWER_TIMEOUT_MS, unproven);
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('end', () => {
      const said = /^(\d+) (\d+|-) ([0-9a-f]{64}|-)(?: (\S+))?$/.exec(text.trim());
      if (!said) return unproven();
      const [, pid, port, proof, host] = said;
      const key = readKey(home);
      const proven =
        key !== null &&
        proof !== '-' &&
        timingSafeEqual(proofOf(key, nonce, Number(pid), port, host), Buffer.from(proof, 'hex'));
      done({
        pid: Number(pid),
        port: port === '-' ? null : Number(port),
        host: host === undefined ? null : urlHostOrNull(host),
        proven,
      });
    });
    socket.on('error', () => (connected ? unproven() : done(null)));
  });
}
