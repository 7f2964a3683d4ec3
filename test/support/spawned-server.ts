import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';

const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'server', 'src', 'main.js');

export interface SpawnedServer {
  process: ChildProcess;
  baseUrl: string;
  token: string | null;
  output: () => string;
  /** Resolves with the next banner's URL (after a restart). */
  nextBanner: () => Promise<string>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * The built server as a user starts it (`node dist/.../main.js`), on a free port. `nodeArgs` go to
 * node itself (and, through fork's execArgv, to the worker), e.g. `--expose-gc`.
 */
export async function spawnServer(
  home: string,
  args: string[] = [],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [...nodeArgs, MAIN, '--port', '0', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      TRAINYARD_HOME: home,
      TRAINYARD_LOG_LEVEL: 'warn',
      // Lets a run of the suite choose how jobs are tracked (`off`: environment tag only).
      ...(process.env.TRAINYARD_CGROUP_ROOT
        ? { TRAINYARD_CGROUP_ROOT: process.env.TRAINYARD_CGROUP_ROOT }
        : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let consumed = 0;
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    waiters.splice(0).forEach((w) => w());
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const nextBanner = async (timeoutMs = 20_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const re = /running at:\n\s+(http:\/\/[^/\s]+)\/(\?token=([0-9a-f]+))?/g;
      re.lastIndex = consumed;
      const match = re.exec(text);
      if (match) {
        consumed = re.lastIndex;
        return match[1];
      }
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${text}`);
      if (Date.now() > deadline) throw new Error(`no banner within ${timeoutMs} ms:\n${text}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  const baseUrl = await nextBanner();
  const token = /\?token=([0-9a-f]{64})/.exec(text)?.[1] ?? null;
  return {
    process: child,
    baseUrl,
    token,
    output: () => text,
    nextBanner,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
