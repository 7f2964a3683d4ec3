import { All, Controller, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, DomainError, resolveLocalTargets, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { endToEndHeaders, forward, requestBody } from './forward';
import { JobListeners } from './job-listeners';
import { RunningService, ServiceEndpoints } from './service-endpoints';

/** What the browser sent that is ours, not TensorBoard's: our credentials never go upstream. */
export const TB_DROPPED_HEADERS = ['authorization', 'cookie', 'x-upstream-token'];

/** The upstream URL for a request under /api/tb/<queue_id>/: same path and query, minus `?token=`. */
export function tensorboardUrl(service: RunningService, requestUrl: string, scheme = 'http'): URL {
  const url = new URL(requestUrl, 'http://x');
  url.searchParams.delete('token');
  const host = service.endpoint.host.includes(':') ? `[${service.endpoint.host}]` : service.endpoint.host;
  return new URL(`${scheme}://${host}:${service.endpoint.port}${url.pathname}${url.search}`);
}

/**
 * `/api/tb/<queue_id>/<path>` → the running tensorboard job on loopback, same path and query (the job
 * runs with `--path_prefix /api/tb/<queue_id>`). Redirects are passed back, not followed.
 */
@ApiTags('tensorboard')
@Controller('tb')
export class TensorboardProxyController {
  constructor(
    private readonly services: ServiceEndpoints,
    private readonly listeners: JobListeners,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** TensorBoard's pages and data under its path prefix (any method; WebSocket upgrades too). */
  @All(':queue_id/*')
  @ApiParam({ name: 'path', description: 'Path below the prefix (any depth)', required: true })
  @ApiOkResponse({ description: 'TensorBoard’s answer, as sent' })
  @ApiErrors(401, 404, 502, 504)
  @ApiParam({ name: 'queue_id', description: 'The tensorboard job' })
  tensorboardProxy(
    @Param('queue_id') queueId: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.proxy(queueId, req, reply);
  }

  /** The prefix itself (TensorBoard redirects it to the trailing-slash form). */
  @All(':queue_id')
  @ApiExcludeEndpoint()
  tensorboardRoot(
    @Param('queue_id') queueId: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.proxy(queueId, req, reply);
  }

  private async proxy(queueId: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // The path's other params ('*') are TensorBoard's; any id that is not a running job is a 404.
    const service = await this.services.running(queueId, 'tensorboard');
    if (!service) throw new DomainError('JOB_NOT_FOUND', `No running tensorboard job ${queueId}`);
    const { host, port } = service.endpoint;
    // Its pages run as our origin: only the job's own server may answer them (502 otherwise).
    await this.listeners.assertOwnedBy(queueId, await resolveLocalTargets(host), port);
    await this.listeners.forwardTo(
      queueId,
      port,
      forward(request, reply, {
        // TensorBoard's UI, from the job's own server (not a base anyone may name), runs here as a page.
        page: true,
        url: tensorboardUrl(service, request.url),
        method: request.method,
        headers: endToEndHeaders(request.headers, TB_DROPPED_HEADERS),
        body: requestBody(request),
        timeoutMs: this.config.upstream_timeout_seconds * 1000,
      }),
    );
  }
}
