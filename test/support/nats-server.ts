import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';

export const NATS_SERVER = process.env.NATS_SERVER ?? 'nats-server';

export interface NatsServer {
  url: string;
  /** What a Trainyard node joins it with: `--nats URL --nats-user U` (a NATS with credentials, as the README sets one up). */
  clientArgs: string[];
  /** …and the password, from the environment. */
  clientEnv: Record<string, string>;
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

/**
 * A real `nats-server -js` on `port` with its JetStream store in `dir`, a user and a password
 * required (Trainyard refuses a NATS without credentials); not started until start().
 */
export function natsServer(port: number, dir: string): NatsServer {
  let child: ChildProcess | null = null;
  let log = '';
  const user = 'trainyard';
  const password = randomBytes(12).toString('hex');
  const url = `nats://127.0.0.1:${port}`;
  return {
    url,
    clientArgs: ['--nats', url, '--nats-user', user],
    clientEnv: { TRAINYARD_NATS_PASSWORD: password },
    start: async () => {
      log = '';
      const args = [
        '-js',
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-sd',
        dir,
        '--user',
        user,
        '--pass',
        password,
      ];
      const proc = spawn(NATS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
