import { ArgumentsHost, Catch, LoggerService, LogLevel, NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  boundMessage,
  createValidationPipe,
  DomainError,
  DomainExceptionFilter,
  ServerConfig,
  StatePaths,
  UndeclaredInputGuard,
  WsRouter,
} from '@trainyard/core';
import { DatabaseOpenError, openDatabase } from '@trainyard/database';
import { JOB_FILE_PATTERN } from '@trainyard/jobs';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createWsGate, Credentials, HostPolicy, installAuthGate } from '@trainyard/auth';
import { installHttpMetrics, MetricsRegistry } from '@trainyard/metrics';
import { AppModule } from './app.module';
import { buildDataSource } from './persistence';
import { loadOrCreateNodeId } from './node-id';
import { buildOpenApiDocument, serveOpenApi } from './openapi';
import { installCompression } from './compression';
import { CONSOLE_ROUTE, serveConsole } from './console-static';
import { installSecurityHeaders, SECURITY_HEADERS } from './security-headers';
import { RestartCheck, RestartHandler } from './server-lifecycle';
import { ServerLogger } from './server-logger';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** class-transformer recurses into bodies: deeper JSON would overflow the stack (a 500) before validation. */
export const BODY_MAX_DEPTH = 64;

/** True when `value` nests objects/arrays deeper than `max` levels (iterative: no recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Errors Node's HTTP parser raises before any route (header overflow, bad syntax), in our error shape. */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'VALIDATION_FAILED', 'Request line and headers are larger than the server accepts']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'VALIDATION_FAILED', 'Request timed out']
        : [400, 'VALIDATION_FAILED', 'Malformed HTTP request'];
  const body = JSON.stringify({ statusCode: status, code, message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Errors the router raises before any route or hook (a path that is not valid percent-encoding,
 * `/api/jobs/%ZZ`), in our error shape rather than Fastify's. Nothing is routed: no gate to pass.
 */
function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const bad = err.code === 'FST_ERR_BAD_URL';
  const message = bad ? `The path is not valid percent-encoding: ${err.message}` : 'Internal server error';
  void reply
    .code(bad ? 400 : 500)
    .headers(SECURITY_HEADERS)
    .send({
      statusCode: bad ? 400 : 500,
      code: bad ? 'VALIDATION_FAILED' : 'INTERNAL',
      message,
      ...(bad ? { details: [{ field: 'path', message }] } : {}),
    });
}

export interface CreateServerAppOptions {
  onRestart?: RestartHandler;
  /** Throws when a restart's next worker could not start (see ServerLifecycle.scheduleRestart). */
  checkRestart?: RestartCheck;
  /** Nest log levels; defaults to the config's level. `false` silences Nest (tests). */
  logger?: LogLevel[] | false | LoggerService;
}

const LEVELS: Record<ServerConfig['log_level'], LogLevel[]> = {
  debug: ['error', 'warn', 'log', 'debug'],
  info: ['error', 'warn', 'log'],
  warn: ['error', 'warn'],
  error: ['error'],
};

/** Serves index.html for browser navigations that match no route (SPA deep links), else the usual 404. */
@Catch()
class ConsoleAwareExceptionFilter extends DomainExceptionFilter {
  constructor(private readonly spaFallback: (req: FastifyRequest, reply: FastifyReply) => boolean) {
    super();
  }
  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    if (exception instanceof NotFoundException && this.spaFallback(http.getRequest(), http.getResponse()))
      return;
    super.catch(exception, host);
  }
}

/**
 * An empty body sent with `Content-Type: application/json` is no body (many clients always set the
 * header), not INVALID_JSON; anything else goes to Fastify's own JSON parser (prototype-poisoning
 * guard included). What that guard refuses is valid JSON, so it is named as such (Fastify says "not
 * valid JSON" for both).
 */
function acceptEmptyJsonBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') return done(null, undefined);
    void parseJson(request, text, (err: Error | null, value?: unknown) => {
      if (err && isJson(text)) {
        const message =
          'Request body holds a key named "__proto__", or "constructor" with "prototype" under it: such keys are refused';
        return done(new DomainError('VALIDATION_FAILED', message, [{ field: 'body', message }]), undefined);
      }
      done(err, value);
    });
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses (DatabaseOpenError) a database file that is empty — 0 bytes, no WAL beside it — while the
 * jobs directory holds jobs' files: it was truncated (a full disk, a copy cut short), and SQLite
 * would take it for a new database, so the server would start with an empty queue beside the logs of
 * jobs nobody knows any more (removed by the GC a week later). A fresh state directory has no job
 * files; a database someone removed on purpose is simply made anew.
 */
function refuseTruncatedDatabase(paths: StatePaths): void {
  const file = paths.database;
  const size = (path: string) => statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  if (!existsSync(file) || size(file) > 0 || size(`${file}-wal`) > 0) return;
  let jobs: Set<string>;
  try {
    jobs = new Set(readdirSync(paths.jobsDir).flatMap((name) => JOB_FILE_PATTERN.exec(name)?.[1] ?? []));
  } catch {
    return;
  }
  if (jobs.size === 0) return;
  throw new DatabaseOpenError(
    file,
    `the database ${file} is empty (0 bytes) while ${paths.jobsDir} holds the files of ${jobs.size} job${jobs.size === 1 ? '' : 's'}: it was truncated, and was left untouched. Restore it from a backup, or remove it and move ${paths.jobsDir} aside to start with an empty queue.`,
    true,
  );
}

/**
 * Builds the whole server the way production runs it; main.ts and the tests both call this.
 * Opens (and migrates) the database, wires auth, metrics, WebSockets, OpenAPI and the console.
 */
export async function createServerApp(
  config: ServerConfig,
  options: CreateServerAppOptions = {},
): Promise<NestFastifyApplication> {
  refuseTruncatedDatabase(config.paths);
  const dataSource = buildDataSource(config.paths.database);
  await openDatabase(dataSource);
  const nodeId = loadOrCreateNodeId(config.paths);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    clientErrorHandler,
    frameworkErrors,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      config,
      dataSource,
      nodeId,
      onRestart: options.onRestart ?? (() => undefined),
      checkRestart: options.checkRestart,
    }),
    adapter,
    {
      logger: options.logger ?? new ServerLogger(config.log_level === 'debug', LEVELS[config.log_level]),
      abortOnError: false,
      bodyParser: false,
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  acceptEmptyJsonBodies(fastify);
  // A route may raise its own body limit with @RouteConfig({ bodyLimit }) (the editor's PUT of a 10 MiB file).
  fastify.addHook('onRoute', (route) => {
    const limit: unknown = (route.config as Record<string, unknown> | undefined)?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
  await installCompression(app);
  const hosts = new HostPolicy(config);
  installSecurityHeaders(fastify);
  installAuthGate(fastify, app.get(Credentials), { hosts, publicRoutes: [CONSOLE_ROUTE] });
  // Unknown API paths match these (not the console's open catch-all), so they are gated 404s.
  for (const apiSpace of ['/api/*', '/metrics/*']) {
    fastify.all(apiSpace, (request, reply) =>
      reply
        .code(404)
        .header('x-request-id', request.id)
        .send({
          statusCode: 404,
          code: 'ROUTE_NOT_FOUND',
          message: boundMessage(`Cannot ${request.method} ${request.url.split('?')[0]}`),
        }),
    );
  }
  installHttpMetrics(fastify, app.get(MetricsRegistry));
  fastify.addHook('preValidation', async (request, reply) => {
    if (nestedDeeperThan(request.body, BODY_MAX_DEPTH)) {
      return reply.code(400).send({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: `Request body is nested more than ${BODY_MAX_DEPTH} levels deep`,
      });
    }
  });

  app.setGlobalPrefix('api', { exclude: ['metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalGuards(new UndeclaredInputGuard());
  app.useGlobalFilters(new ConsoleAwareExceptionFilter(serveConsole(app)));

  const wsRouter = app.get(WsRouter);
  wsRouter.setGate(createWsGate(app.get(Credentials), hosts));
  wsRouter.attach(app.getHttpServer());

  serveOpenApi(app, buildOpenApiDocument(app));
  await app.init();
  await fastify.ready();
  return app;
}
