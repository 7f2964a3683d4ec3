import { ConsoleLogger, LogLevel } from '@nestjs/common';

/** Nest's own bootstrap chatter (module init, route mapping) only at debug level. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

export class ServerLogger extends ConsoleLogger {
  constructor(
    private readonly showFramework: boolean,
    levels: LogLevel[],
  ) {
    super('Trainyard', { logLevels: levels });
  }

  override log(message: unknown, context?: string): void {
    if (!this.showFramework && context && FRAMEWORK_CONTEXTS.has(context)) return;
    super.log(message, context);
  }
}
