import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { redactSecrets } from '@trainyard/core';

/** Nest's own bootstrap chatter (module init, route mapping) only at debug level. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * The server's log: Nest's console format, framework chatter below debug, credentials redacted from
 * every line; times in ISO 8601 (UTC), colours only on a terminal (never in a file or journald, nor
 * with NO_COLOR).
 */
export class ServerLogger extends ConsoleLogger {
  constructor(
    private readonly showFramework: boolean,
    levels: LogLevel[],
    colors = process.stdout.isTTY === true && !process.env.NO_COLOR,
  ) {
    super('Trainyard', { logLevels: levels, colors });
  }

  protected override getTimestamp(): string {
    return new Date().toISOString();
  }

  override log(message: unknown, context?: string): void {
    if (!this.showFramework && context && FRAMEWORK_CONTEXTS.has(context)) return;
    super.log(message, context);
  }

  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
  ): string {
    return redactSecrets(
      super.formatMessage(logLevel, message, pidMessage, formattedLogLevel, contextMessage, timestampDiff),
    );
  }

  protected override printStackTrace(stack: string | undefined): void {
    // Nest calls this for every error line, with no stack when the caller gave none.
    if (stack) super.printStackTrace(redactSecrets(stack));
  }
}
