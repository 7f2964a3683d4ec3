import { mkdirSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';

/**
 * One server per state directory. Two servers on one TRAINYARD_HOME would both re-attach its jobs and
 * split its state (one's scheduler pause or GPU maintenance ignored by the other). The lock is a
 * Linux abstract-namespace socket named after the directory's device and inode: binding it is atomic,
 * the kernel lets go of it when the holder dies however it dies (no stale pidfile to clean up), and
 * it answers whoever connects with the holder's pid and, once known, the TCP port its API listens on
 * (`<pid>[ <port>]\n`). Per network namespace, like every abstract socket.
 */
export class HomeInUseError extends Error {}

/** Who holds a state directory's lock: its pid, and its API's port (null until its worker listens). */
export interface HomeHolder {
  pid: number;
  port: number | null;
}

/**
 * Takes the lock for `home` (created 0700 if missing), held until this process exits. Null when the
 * directory cannot be made or read: the server's own checks then say why it cannot start. `port`
 * says which port this server's API listens on (null while it does not know yet).
 */
export async function lockHome(home: string, port: () => number | null = () => null): Promise<Server | null> {
  let dev: number, ino: number;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    ({ dev, ino } = statSync(home));
  } catch {
    return null;
  }
  const name = lockName(dev, ino);
  const server = createServer((socket) => {
    const listening = port();
    socket.end(listening === null ? `${process.pid}\n` : `${process.pid} ${listening}\n`);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(name, () => resolve());
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const holder = await askHolder(name);
    throw new HomeInUseError(
      `${home} is in use by another Trainyard server${holder ? ` (pid ${holder.pid})` : ''}: stop it first, or give this one another TRAINYARD_HOME`,
    );
  }
  server.unref(); // holds the name, never keeps the process alive
  return server;
}

/** The lock of the directory with this device and inode (abstract namespace: no file). */
function lockName(dev: number, ino: number): string {
  return `\0trainyard-home-${dev}-${ino}`;
}

/**
 * The server holding `home`'s lock, or null when none does (or the directory is missing). The CLI
 * asks this when the API refuses a connection: a held lock means the server is up and replacing its
 * worker (a restart), so the request is worth sending again — when it is the server the CLI talks to
 * (the same port).
 */
export async function homeHolder(home: string): Promise<HomeHolder | null> {
  let dev: number, ino: number;
  try {
    ({ dev, ino } = statSync(home));
  } catch {
    return null;
  }
  return askHolder(lockName(dev, ino));
}

/** What the holder answers with, or null when it does not answer in time. */
function askHolder(name: string): Promise<HomeHolder | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(name);
    const done = (holder: HomeHolder | null) => {
      socket.destroy();
      resolve(holder);
    };
    socket.setTimeout(1000, () => done(null));
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('end', () => {
      const answer = /^(\d+)(?: (\d+))?$/.exec(text.trim());
      done(answer ? { pid: Number(answer[1]), port: answer[2] ? Number(answer[2]) : null } : null);
    });
    socket.on('error', () => done(null));
  });
}
