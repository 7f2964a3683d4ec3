import { Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, DomainError, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { forward, requestBody } from './forward';
import { InferenceEndpointDto, ProxyBaseQueryDto } from './proxies.dto';
import { JobListeners } from './job-listeners';
import { RunningService, ServiceEndpoints } from './service-endpoints';
import { bareHost, hostForUrl, localReachOf, parseBase, portOf } from './upstream';

/** Upstream answers are the upstream's: any status, its body as sent. */
const upstreamAnswer = ApiOkResponse({
  description: 'The upstream answer, streamed as it arrives (SSE intact)',
});
const tokenHeader = ApiHeader({
  name: 'X-Upstream-Token',
  required: false,
  description: 'Bearer token for the upstream; default: the token of the inference job listening there',
});
const anyJson = ApiBody({ schema: { type: 'object', additionalProperties: true } });

/**
 * Same-origin forwarder to OpenAI-compatible servers (`<base>/<endpoint>`), so the console avoids
 * CORS and Private Network Access. The caller's credentials never go upstream; the upstream's token
 * (header, else the local inference job's token file) is added here and never sent back.
 */
@ApiTags('inference')
@Controller('inference')
export class InferenceProxyController {
  constructor(
    private readonly services: ServiceEndpoints,
    private readonly listeners: JobListeners,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** Running `inference` jobs of this server and the base URL each answers on (for the console's picker). */
  @Get('endpoints')
  @ApiErrors(401)
  async listInferenceEndpoints(): Promise<InferenceEndpointDto[]> {
    return (await this.services.list('inference')).map(({ job, endpoint }) => ({
      queue_id: job.id,
      label: job.name ?? `inference ${job.id}`,
      base_url: `${endpoint.scheme}://${hostForUrl(endpoint.host)}:${endpoint.port}/v1`,
      has_token: endpoint.tokenFile !== undefined,
    }));
  }

  /** Proxies `<base>/health`. */
  @Get('health')
  @ApiProduces('application/json', 'text/plain')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  inferenceHealth(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.proxy('health', q, req, reply);
  }

  /** Proxies `<base>/models`. */
  @Get('models')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  inferenceModels(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.proxy('models', q, req, reply);
  }

  /** Proxies `<base>/completions`; with `stream: true` the SSE stream passes byte for byte. */
  @Post('completions')
  @ApiProduces('application/json', 'text/event-stream')
  @anyJson
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  inferenceCompletions(
    @Query() q: ProxyBaseQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.proxy('completions', q, req, reply);
  }

  /** Proxies `<base>/chat/completions`; with `stream: true` the SSE stream passes byte for byte. */
  @Post('chat/completions')
  @ApiProduces('application/json', 'text/event-stream')
  @anyJson
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  inferenceChatCompletions(
    @Query() q: ProxyBaseQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.proxy('chat/completions', q, req, reply);
  }

  /** Proxies `<base>/tokenize`. */
  @Post('tokenize')
  @anyJson
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  inferenceTokenize(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.proxy('tokenize', q, req, reply);
  }

  /** Proxies `<base>/detokenize`. */
  @Post('detokenize')
  @anyJson
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  inferenceDetokenize(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.proxy('detokenize', q, req, reply);
  }

  private async proxy(
    endpoint: string,
    query: ProxyBaseQueryDto,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const base = parseBase(query.base);
    const { targets, loopback } = await localReachOf(base);
    if (this.config.lock_inference_proxy && !loopback) {
      throw new DomainError(
        'FORBIDDEN',
        `The inference proxy is locked to loopback servers (lock_inference_proxy); ${base.host} is not one`,
      );
    }
    const headers: Record<string, string> = { accept: request.headers.accept ?? '*/*' };
    if (request.headers['content-type']) headers['content-type'] = request.headers['content-type'];
    // An inference job's port: its prompts and token go only to the job's own server (502 otherwise),
    // however the base names this machine; its token only where the job's socket surely is (`at`).
    const local = targets.length > 0;
    const job = local ? await this.services.at('inference', bareHost(base), portOf(base)) : null;
    const owner = job ?? (local ? await this.services.onPort('inference', portOf(base)) : null);
    if (owner) await this.listeners.assertOwnedBy(owner.job.id, targets, portOf(base));
    const token = await this.upstreamToken(request, job);
    if (token) headers.authorization = `Bearer ${token}`;
    const url = new URL(`${base.href.replace(/\/+$/, '')}/${endpoint}`);
    const sent = forward(request, reply, {
      url,
      method: request.method,
      headers,
      body: requestBody(request),
      timeoutMs: this.config.upstream_timeout_seconds * 1000,
      responseHeaders: (status, out) => {
        // A Basic challenge would make the browser prompt for a password meant for the upstream.
        delete out['www-authenticate'];
        if (status === 401 || status === 403) out['x-upstream-auth-failed'] = '1';
      },
    });
    await (owner ? this.listeners.forwardTo(owner.job.id, portOf(base), sent) : sent);
  }

  /** `X-Upstream-Token`, else the token file of the inference job listening at base's host:port (`job`). */
  private async upstreamToken(request: FastifyRequest, job: RunningService | null): Promise<string | null> {
    const explicit = request.headers['x-upstream-token'];
    if (typeof explicit === 'string' && explicit.trim()) return explicit.trim();
    return job ? this.services.token(job) : null;
  }
}
