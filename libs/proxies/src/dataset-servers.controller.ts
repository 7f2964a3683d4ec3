import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, DomainError, SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { asUntrusted, collect, forward, requestBody } from './forward';
import {
  DatasetHandleQueryDto,
  DatasetIterQueryDto,
  DatasetRowsDto,
  DatasetServerDto,
  EntryIdParamDto,
  ProxyBaseQueryDto,
  RegisterDatasetServerDto,
} from './proxies.dto';
import { DatasetServerRegistry } from './dataset-registry';
import { JobListeners } from './job-listeners';
import { RunningService, ServiceEndpoints } from './service-endpoints';
import { bareHost, hostForUrl, localReachOf, parseBase, portOf } from './upstream';

/** The dataset_server servers the console can browse: running dataset_server jobs and registered URLs. */
@ApiTags('datasets')
@Controller('dataset-servers')
export class DatasetServersController {
  constructor(
    private readonly services: ServiceEndpoints,
    private readonly registry: DatasetServerRegistry,
  ) {}

  /** Running `dataset_server` jobs of this server, reachable on loopback. */
  @Get('local')
  @ApiErrors(401)
  async listLocalDatasetServers(): Promise<DatasetServerDto[]> {
    return (await this.services.list('dataset_server')).map(({ job, endpoint }) => ({
      id: `local:${job.id}`,
      label: job.name ?? `dataset_server ${job.id}`,
      base_url: `http://${hostForUrl(endpoint.host)}:${endpoint.port}`,
      has_token: endpoint.tokenFile !== undefined,
      queue_id: job.id,
    }));
  }

  /** Servers registered by users (tokens are never returned). */
  @Get('user')
  @ApiErrors(401)
  listUserDatasetServers(): DatasetServerDto[] {
    return this.registry.list().map(({ id, label, base_url, auth_token }) => ({
      id: `user:${id}`,
      label,
      base_url,
      has_token: !!auth_token,
    }));
  }

  /** Registers a server: the dataset proxy then reaches it. The token is stored 0600. */
  @Post('user')
  @ApiErrors(400, 401, 403, 409)
  registerDatasetServer(@Body() body: RegisterDatasetServerDto): DatasetServerDto {
    const base = parseBase(body.base_url, 'base_url');
    if (this.registry.find(base)) throw new DomainError('CONFLICT', `${base.href} is already registered`);
    const saved = this.registry.add({
      label: body.label,
      base_url: base.href.replace(/\/+$/, ''),
      ...(body.auth_token ? { auth_token: body.auth_token } : {}),
    });
    return {
      id: `user:${saved.id}`,
      label: saved.label,
      base_url: saved.base_url,
      has_token: !!saved.auth_token,
    };
  }

  /** Forgets a registered server (the proxy refuses it again unless it is on loopback). */
  @Delete('user/:entry_id')
  @HttpCode(204)
  @ApiErrors(400, 401, 403, 404)
  unregisterDatasetServer(@Param() params: EntryIdParamDto): void {
    if (!this.registry.remove(params.entry_id))
      throw new DomainError('NOT_FOUND', `No registered dataset server ${params.entry_id}`);
  }
}

const tokenHeader = ApiHeader({
  name: 'X-Dataset-Auth-Token',
  required: false,
  description: 'Bearer token for the dataset_server; default: the local job’s token, else the registered one',
});
const upstreamAnswer = ApiOkResponse({ description: 'The dataset_server’s answer, as sent' });

/**
 * Same-origin forwarder to dataset_servers' `/v1/*`. Its SSRF allowlist is loopback plus the registry:
 * any other base is refused (403) until a user registers it.
 */
@ApiTags('datasets')
@Controller('dataset-server/proxy')
export class DatasetServerProxyController {
  constructor(
    private readonly services: ServiceEndpoints,
    private readonly registry: DatasetServerRegistry,
    private readonly listeners: JobListeners,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** Proxies `<base>/v1/health`. */
  @Get('health')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  datasetServerHealth(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.pass(q, 'v1/health', req, reply);
  }

  /** Proxies `<base>/v1/auth/status`. */
  @Get('auth-status')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  datasetServerAuthStatus(
    @Query() q: ProxyBaseQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.pass(q, 'v1/auth/status', req, reply);
  }

  /** Proxies `<base>/v1/datasets`. */
  @Get('datasets')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  datasetServerDatasets(
    @Query() q: ProxyBaseQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.pass(q, 'v1/datasets', req, reply);
  }

  /** Proxies `<base>/v1/cache/hf`. */
  @Get('cache')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  datasetServerCache(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.pass(q, 'v1/cache/hf', req, reply);
  }

  /** Proxies `<base>/v1/local`. */
  @Get('local')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  datasetServerLocal(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.pass(q, 'v1/local', req, reply);
  }

  /** Proxies `POST <base>/v1/load` (body passed through). */
  @Post('load')
  @ApiBody({ schema: { type: 'object', additionalProperties: true } })
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  datasetServerLoad(@Query() q: ProxyBaseQueryDto, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.pass(q, 'v1/load', req, reply);
  }

  /** Proxies `<base>/v1/datasets/<handle>/length`. */
  @Get('length')
  @upstreamAnswer
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  datasetServerLength(
    @Query() q: DatasetHandleQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.pass(q, `v1/datasets/${encodeURIComponent(q.handle)}/length`, req, reply);
  }

  /**
   * `<base>/v1/datasets/<handle>/iter?position=&limit=` (limit 1..500, default 25): its NDJSON
   * collected into `{rows}`. An upstream error status comes back with its body.
   */
  @Get('iter')
  @tokenHeader
  @ApiErrors(400, 401, 403, 502, 504)
  async datasetServerIter(
    @Query() q: DatasetIterQueryDto,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<DatasetRowsDto | void> {
    const { base, headers, owner } = await this.target(q.base, req);
    const url = this.url(base, `v1/datasets/${encodeURIComponent(q.handle)}/iter`);
    url.searchParams.set('position', String(q.position ?? 0));
    url.searchParams.set('limit', String(q.limit ?? 25));
    const answer = await this.sent(
      owner,
      base,
      collect(req, reply, { url, method: 'GET', headers, timeoutMs: this.timeoutMs }),
    );
    if (!answer) return;
    if (answer.status >= 400) {
      return asUntrusted(reply)
        .code(answer.status)
        .type(answer.contentType ?? 'text/plain')
        .send(answer.body);
    }
    const rows: unknown[] = [];
    for (const [i, line] of answer.body.toString('utf8').split('\n').entries()) {
      if (!line.trim()) continue;
      try {
        rows.push(JSON.parse(line));
      } catch {
        throw new DomainError(
          'UPSTREAM_UNREACHABLE',
          `Upstream ${base.host} sent a line that is not JSON (line ${i + 1})`,
        );
      }
    }
    return reply.send({ rows } satisfies DatasetRowsDto);
  }

  private get timeoutMs(): number {
    return this.config.upstream_timeout_seconds * 1000;
  }

  private url(base: URL, path: string): URL {
    return new URL(`${base.href.replace(/\/+$/, '')}/${path}`);
  }

  private async pass(q: ProxyBaseQueryDto, path: string, req: FastifyRequest, reply: FastifyReply) {
    const { base, headers, owner } = await this.target(q.base, req);
    await this.sent(
      owner,
      base,
      forward(req, reply, {
        url: this.url(base, path),
        method: req.method,
        headers,
        body: requestBody(req),
        timeoutMs: this.timeoutMs,
      }),
    );
  }

  /** A request under way to `base`; when it is a local job's port and fails, that port is checked again next time. */
  private sent<T>(owner: RunningService | null, base: URL, request: Promise<T>): Promise<T> {
    return owner ? this.listeners.forwardTo(owner.job.id, portOf(base), request) : request;
  }

  /**
   * The allowlist check and the upstream headers. Token: `X-Dataset-Auth-Token`, else the local
   * dataset_server job's token file, else the registered entry's token, else none.
   */
  private async target(
    raw: string,
    req: FastifyRequest,
  ): Promise<{ base: URL; headers: Record<string, string>; owner: RunningService | null }> {
    const base = parseBase(raw);
    const registered = this.registry.find(base);
    const { targets, loopback } = await localReachOf(base);
    if (!registered && !loopback) {
      throw new DomainError(
        'FORBIDDEN',
        `${base.host} is not a registered dataset server: register the server first (Datasets → Servers → Add)`,
      );
    }
    const headers: Record<string, string> = { accept: req.headers.accept ?? '*/*' };
    if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
    // A dataset_server job's port, however the base names this machine: only the job's own server is
    // sent anything (502 otherwise); its token only where the job's socket surely is (`at`).
    const local = targets.length > 0;
    const job = local ? await this.services.at('dataset_server', bareHost(base), portOf(base)) : null;
    const owner = job ?? (local ? await this.services.onPort('dataset_server', portOf(base)) : null);
    if (owner) await this.listeners.assertOwnedBy(owner.job.id, targets, portOf(base));
    const explicit = req.headers['x-dataset-auth-token'];
    let token = typeof explicit === 'string' && explicit.trim() ? explicit.trim() : null;
    if (!token && job) token = await this.services.token(job);
    token ??= registered?.auth_token ?? null;
    if (token) headers.authorization = `Bearer ${token}`;
    return { base, headers, owner };
  }
}
