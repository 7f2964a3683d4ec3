import { Injectable, OnModuleInit } from '@nestjs/common';
import { WebSocket } from 'ws';
import { resolveLocalTargets, WsRouteContext, WsRouter } from '@trainyard/core';
import { endToEndHeaders } from './forward';
import { JobListeners } from './job-listeners';
import { ServiceEndpoints } from './service-endpoints';
import { TB_DROPPED_HEADERS, tensorboardUrl } from './tensorboard-proxy.controller';

/** WebSocket headers `ws` sets itself for the upstream handshake. */
const HANDSHAKE = [
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
];

/** 4404 / 1014: close codes the browser sees when there is no job, or it cannot be reached. */
const NO_SUCH_JOB = 4404;
const BAD_GATEWAY = 1014;

/**
 * WebSocket upgrades under /api/tb/<queue_id>/ (after the same auth gate as every upgrade) relayed to
 * the tensorboard job: message for message, text stays text and binary stays binary, either side's
 * close closes the other.
 */
@Injectable()
export class TensorboardWebSocketProxy implements OnModuleInit {
  constructor(
    private readonly router: WsRouter,
    private readonly services: ServiceEndpoints,
    private readonly listeners: JobListeners,
  ) {}

  onModuleInit(): void {
    // TensorBoard's own query passes through as it came.
    this.router.register('/api/tb/:queue_id/*', (socket, ctx) => this.relay(socket, ctx), 'any');
  }

  private async relay(client: WebSocket, ctx: WsRouteContext): Promise<void> {
    const service = await this.services.running(ctx.params.queue_id, 'tensorboard');
    if (!service) return client.close(NO_SUCH_JOB, 'no running tensorboard job');
    const { host, port } = service.endpoint;
    try {
      await this.listeners.assertOwnedBy(service.job.id, await resolveLocalTargets(host), port);
    } catch {
      return client.close(BAD_GATEWAY, "the port is held by a process that is not the job's");
    }
    const protocols = String(ctx.request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const upstream = new WebSocket(tensorboardUrl(service, ctx.request.url ?? '/', 'ws'), protocols, {
      headers: endToEndHeaders(ctx.request.headers, [
        ...TB_DROPPED_HEADERS,
        ...HANDSHAKE,
        'origin',
      ]) as Record<string, string>,
      followRedirects: false,
    });
    const pending: Array<[Buffer, boolean]> = [];
    client.on('message', (data: Buffer, isBinary) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
      else pending.push([data, isBinary]);
    });
    upstream.on('open', () => {
      for (const [data, binary] of pending.splice(0)) upstream.send(data, { binary });
    });
    upstream.on('message', (data: Buffer, isBinary) => {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });
    const closeBoth = (code: number, reason: string) => {
      // 1005/1006 are "no code" markers and may not be sent.
      const safe = code === 1005 || code === 1006 ? 1000 : code;
      if (client.readyState <= WebSocket.OPEN) client.close(safe, reason);
      if (upstream.readyState === WebSocket.OPEN) upstream.close(safe, reason);
      else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    };
    upstream.on('close', (code, reason) => closeBoth(code, reason.toString()));
    upstream.on('error', () => {
      this.listeners.forget(service.job.id, port);
      closeBoth(BAD_GATEWAY, 'tensorboard unreachable');
    });
    upstream.on('unexpected-response', () => closeBoth(BAD_GATEWAY, 'tensorboard refused the upgrade'));
    client.on('close', (code, reason) => closeBoth(code, reason.toString()));
    client.on('error', () => upstream.terminate());
  }
}
