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
import { installRequestTargetCheck, rewriteRequestTarget } from './request-target';
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
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
        Object.entries(SECURITY_HEADERS)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
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
 * Request bodies are JSON. JSON sent as text/plain (`curl -d` without its header) is 415 naming the
 * type, not a string that fails validation as if every field were missing (the TensorBoard proxy
 * takes any type through its own '*' parser, ProxiesModule). An empty body sent with
 * `Content-Type: application/json` is no body (many clients always set the header), not
 * INVALID_JSON; anything else goes to Fastify's own JSON parser (prototype-poisoning guard
 * included). What that guard refuses is valid JSON, so it is named as such (Fastify says "not valid
 * JSON" for both).
 */
function installJsonBodies(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('text/plain');
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

/** The methods a 405's `Allow` may name (Fastify adds HEAD beside every GET). */
const ROUTED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Answers a request under /api/ or /metrics/ that no route of its method takes: 405
 * METHOD_NOT_ALLOWED with `Allow` when routes of other methods take the path (`PUT /api/jobs/{id}`,
 * `OPTIONS /api/jobs`), else 404 ROUTE_NOT_FOUND. Registered as routes (not the console's open
 * catch-all), so the auth gate decides them like any route: without credentials, 401 either way.
 */
function installApiFallback(fastify: FastifyInstance): void {
  const spaces = ['/api/', '/metrics/'];
  /** Whether a route of `method` other than this fallback takes `path` (an empty parameter is none). */
  const takes = (method: string, path: string): boolean => {
    const route = fastify.findRoute({ method, url: path });
    if (route === null) return false;
    const params = Object.values(route.params as Record<string, string>);
    const fallback = spaces.some(
      (space) => path.startsWith(space) && route.params['*'] === path.slice(space.length),
    );
    return !fallback && !params.includes('');
  };
  const fallback = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0];
    const allowed = ROUTED_METHODS.filter((method) => takes(method, path));
    reply.header('x-request-id', request.id);
    // (A route of its own method that the router passed over, as for an empty parameter: 404.)
    if (allowed.length === 0 || allowed.includes(request.method as (typeof ROUTED_METHODS)[number])) {
      return reply.code(404).send({
        statusCode: 404,
        code: 'ROUTE_NOT_FOUND',
        message: boundMessage(`Cannot ${request.method} ${path}`),
      });
    }
    return reply
      .code(405)
      .header('allow', allowed.join(', '))
      .send({
        statusCode: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: boundMessage(`${request.method} is not allowed on ${path}; it takes ${allowed.join(', ')}`),
      });
  };
  for (const space of spaces) fastify.all(`${space}*`, fallback);
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
    // Fastify's default (100) makes a longer path parameter match no route: `GET /api/jobs/<101
    // characters>` said "Cannot GET" instead of "no job …" (the request line is bounded anyway).
    routerOptions: { maxParamLength: 2048 },
    trustProxy: false,
    clientErrorHandler,
    frameworkErrors,
    rewriteUrl: rewriteRequestTarget,
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
  installJsonBodies(fastify);
  // A route may raise its own body limit with @RouteConfig({ bodyLimit }) (the editor's PUT of a 10 MiB file).
  fastify.addHook('onRoute', (route) => {
    const limit: unknown = (route.config as Record<string, unknown> | undefined)?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
  await installCompression(app);
  const hosts = new HostPolicy(config);
  installSecurityHeaders(fastify);
  installRequestTargetCheck(fastify);
  installAuthGate(fastify, app.get(Credentials), { hosts, publicRoutes: [CONSOLE_ROUTE] });
  installApiFallback(fastify);
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

  // Built on its first request, not at every boot (~0.3 s of the worker's start).
  serveOpenApi(app, () => buildOpenApiDocument(app));
  await app.init();
  await fastify.ready();
  return app;
}
