import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { killCgroup, loadServerConfig, removeParentCgroup, ServerConfig } from '@trainyard/core';
import { JobProcesses } from '@trainyard/scheduler';
import { createServerApp } from '../../apps/server/src/configure-app';
import { makeTempHome } from './temp-home';

export interface InProcessServer {
  app: NestFastifyApplication;
  config: ServerConfig;
  baseUrl: string;
  token: string;
  home: string;
  restarts: number;
  /**
   * Closes the app; keeps the state directory unless `removeHome`. Jobs outlive a server by design,
   * so with `removeHome` (nothing will re-attach them) every process of its jobs is killed too
   * (through their cgroups, where the host has them): a job a test left running does not outlive it.
   */
  close(removeHome?: boolean): Promise<void>;
}

/** The real app (configure-app.ts, real SQLite file, real port) inside the test process. */
export async function startInProcessServer(
  options: { argv?: string[]; env?: Record<string, string>; home?: string } = {},
): Promise<InProcessServer> {
  const temp = options.home ? null : makeTempHome();
  const home = options.home ?? temp!.home;
  const config = loadServerConfig({
    argv: ['--port', '0', ...(options.argv ?? [])],
    env: { TRAINYARD_HOME: home, ...options.env },
  });
  const server: Partial<InProcessServer> = { restarts: 0 };
  const app = await createServerApp(config, {
    // Quiet, unless asked (README, Development): a 500's stack is then on stderr.
    logger: process.env.TRAINYARD_TEST_LOG ? ['error', 'warn'] : false,
    onRestart: () => {
      server.restarts! += 1;
    },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(server, {
    app,
    config,
    home,
    baseUrl: `http://127.0.0.1:${port}`,
    token: readFileSync(config.paths.authToken, 'utf8').trim(),
    close: async (removeHome = false) => {
      const cgroups = app.get(JobProcesses, { strict: false }).cgroupParent;
      await app.close();
      if (removeHome && cgroups) {
        killCgroup(cgroups);
        await removeParentCgroup(cgroups, 5000);
      }
      if (removeHome) temp?.remove();
    },
  }) as InProcessServer;
}
