import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadServerConfig, StateDirError, USAGE } from '@trainyard/core';
import { Credentials } from '@trainyard/auth';
import { createServerApp } from './configure-app';
import { startupBanner } from './banner';
import { RESTART_EXIT_CODE } from './server-lifecycle';

/** The server process proper; main.ts supervises it so that a restart keeps the same terminal and PID. */
async function runWorker(): Promise<void> {
  // If the supervisor dies (even by SIGKILL), don't linger holding the port.
  process.on('disconnect', () => process.exit(0));
  const argv = process.argv.slice(2);
  let config;
  try {
    config = loadServerConfig({ argv, env: process.env });
  } catch (err) {
    if (err instanceof StateDirError) {
      process.stderr.write(`trainyard: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`trainyard: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = new Logger('Server');
  const app = await createServerApp(config, {
    onRestart: async () => {
      await app.close();
      process.exit(RESTART_EXIT_CODE);
    },
  });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: shutting down; running jobs keep running and are re-attached on next start`);
    void app.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `trainyard: ${config.host}:${config.port} is already in use (another Trainyard?). Pick another with --port.\n`
        : `trainyard: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}\n`,
    );
    process.exit(1);
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const credentials = app.get(Credentials);
  process.stdout.write(
    startupBanner(config, port, credentials.authRequired ? credentials.token.value : null),
  );
}

void runWorker();
