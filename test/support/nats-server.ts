import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';

export const NATS_SERVER = process.env.NATS_SERVER ?? 'nats-server';

export interface NatsServer {
  url: string;
  /** Starts it again on the same port and store (after stop()). */
  start: () => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A real `nats-server -js` on `port` with its JetStream store in `dir`; not started until start(). */
export function natsServer(port: number, dir: string): NatsServer {
  let child: ChildProcess | null = null;
  let log = '';
  return {
    url: `nats://127.0.0.1:${port}`,
    start: async () => {
      log = '';
      const proc = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      proc.stdout?.on('data', (c: Buffer) => (log += c.toString()));
      proc.stderr?.on('data', (c: Buffer) => (log += c.toString()));
      const deadline = Date.now() + 10_000;
      while (!(await portOpen(port))) {
        if (proc.exitCode !== null) throw new Error(`nats-server exited (${proc.exitCode}):\n${log}`);
        if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}:\n${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal = 'SIGTERM') => {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      await once(proc, 'exit');
    },
  };
}
