import type { INestApplication } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { OPEN_ROUTES, SESSION_COOKIE_PREFIX } from '@trainyard/auth';
import { GpusFrameDto } from '@trainyard/gpus';
import { JobsFrameDto, LOG_STREAM_FRAMES } from '@trainyard/jobs';
import { describeJournalEntries, journalPayloadModels } from '@trainyard/journal';
import { packageVersion, StreamErrorFrameDto } from '@trainyard/core';

/** The spec as the code defines it; operationIds are the controller method names (the SDK's names). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Trainyard')
    .setDescription(
      'Control plane for GPU training labs: queue, scheduler, jobs, GPUs and live logs. Every route under ' +
        '/api needs credentials (bearer token, session cookie or ?token=) except /api/health, ' +
        '/api/auth/status and /api/auth/login. Errors share one body: {statusCode, code, message, details}.',
    )
    .setVersion(packageVersion())
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'Contents of $TRAINYARD_HOME/auth_token' },
      'bearer',
    )
    .addCookieAuth(
      `${SESSION_COOKIE_PREFIX}xxxxxxxxxxxx`,
      {
        type: 'apiKey',
        in: 'cookie',
        name: `${SESSION_COOKIE_PREFIX}xxxxxxxxxxxx`,
        description:
          'Set by POST /api/auth/login. The x placeholders are 12 hex characters derived from the ' +
          'node id, so every server on a host has its own cookie.',
      },
      'session',
    )
    .addApiKey(
      { type: 'apiKey', in: 'query', name: 'token', description: 'Bearer token or one-shot URL token' },
      'url_token',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller: string, method: string) => method,
    // No route returns these, so they are named here to get their schemas.
    extraModels: [...journalPayloadModels(), ...Object.values(STREAM_FRAMES).flatMap((s) => s.frames)],
  });
  describeJournalEntries(document);
  for (const [name, stream] of Object.entries(STREAM_FRAMES)) {
    document.components!.schemas![name] = {
      description: stream.description,
      oneOf: stream.frames.map((frame) => ({ $ref: getSchemaPath(frame) })),
    };
  }
  // Any one of the three credentials will do; the open routes need none.
  document.security = [{ bearer: [] }, { session: [] }, { url_token: [] }];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!(OPEN_ROUTES as readonly string[]).includes(`${method.toUpperCase()} ${path}`)) continue;
      if (op && typeof op === 'object' && 'responses' in op) (op as { security?: unknown[] }).security = [];
    }
  }
  return sortKeys(document) as OpenAPIObject;
}

/**
 * The JSON text frames of each WebSocket stream, as one union schema per stream (each frame's `type`
 * tells them apart), so the spec — and its drift test and the SDK — cover them too.
 */
const STREAM_FRAMES: Record<string, { description: string; frames: Type<unknown>[] }> = {
  LogStreamFrame: {
    description:
      'A JSON text frame of WebSocket /api/jobs/{queue_id}/tty (?follow, ?offset) and of WebSocket ' +
      "/api/cluster/nodes/{node_id}/jobs/{queue_id}/tty (another cluster node's job, streamed from it " +
      'over NATS); the log bytes come as binary frames.',
    frames: LOG_STREAM_FRAMES,
  },
  GpusStreamFrame: {
    description: 'A JSON text frame of WebSocket /api/gpus/stream.',
    frames: [GpusFrameDto, StreamErrorFrameDto],
  },
  JobsStreamFrame: {
    description: 'A JSON text frame of WebSocket /api/jobs/stream.',
    frames: [JobsFrameDto, StreamErrorFrameDto],
  },
};

/** Stable key order so the committed spec diffs cleanly. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Serves the spec (`document`, or what it builds on the first request) and the Swagger UI. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject | (() => OpenAPIObject)): void {
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
    customSiteTitle: 'Trainyard API',
    swaggerOptions: { persistAuthorization: true },
  });
}
