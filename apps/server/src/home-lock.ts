import { mkdirSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';

/**
 * One server per state directory. Two servers on one TRAINYARD_HOME would both re-attach its jobs and
 * split its state (one's scheduler pause or GPU maintenance ignored by the other). The lock is a
 * Linux abstract-namespace socket named after the directory's device and inode: binding it is atomic,
 * the kernel lets go of it when the holder dies however it dies (no stale pidfile to clean up), and
 * it answers whoever connects with the holder's pid. Per network namespace, like every abstract socket.
 */
export class HomeInUseError extends Error {}

/**
 * Takes the lock for `home` (created 0700 if missing), held until this process exits. Null when the
 * directory cannot be made or read: the server's own checks then say why it cannot start.
 */
export async function lockHome(home: string): Promise<Server | null> {
  let dev: number, ino: number;
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    ({ dev, ino } = statSync(home));
  } catch {
    return null;
  }
  const name = lockName(dev, ino);
  const server = createServer((socket) => socket.end(`${process.pid}\n`));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(name, () => resolve());
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const pid = await holderPid(name);
    throw new HomeInUseError(
      `${home} is in use by another Trainyard server${pid ? ` (pid ${pid})` : ''}: stop it first, or give this one another TRAINYARD_HOME`,
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
 * The pid of the server holding `home`'s lock, or null when none does (or the directory is
 * missing). The CLI asks this when the API refuses a connection: a held lock means the server is
 * up and replacing its worker (a restart), so the request is worth sending again.
 */
export async function homeHolderPid(home: string): Promise<number | null> {
  let dev: number, ino: number;
  try {
    ({ dev, ino } = statSync(home));
  } catch {
    return null;
  }
  return holderPid(lockName(dev, ino));
}

/** The pid the holder answers with, or null when it does not answer in time. */
function holderPid(name: string): Promise<number | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(name);
    const done = (pid: number | null) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => done(null));
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('end', () => done(/^\d+$/.test(text.trim()) ? Number(text.trim()) : null));
    socket.on('error', () => done(null));
  });
}
