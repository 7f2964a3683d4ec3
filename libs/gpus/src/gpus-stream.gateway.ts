import { Injectable, OnModuleInit } from '@nestjs/common';
import { WebSocket } from 'ws';
import { WsRouter } from '@trainyard/core';
import { GpuInventory } from './gpu-inventory';
import type { GpusFrameDto } from './gpus.dto';
import { toGpuListDto } from './gpus.mapper';

export const GPUS_STREAM_PATH = '/api/gpus/stream';
/** Bursts of changes (a policy and a reservation at once) become one frame; frames are at least this far apart. */
export const GPUS_STREAM_MIN_GAP_MS = 100;

/**
 * WebSocket `/api/gpus/stream`: `{type: "gpus", ...GET /api/gpus body}` on connect, then after every
 * change (new telemetry about every 2 s, policy, reservations), coalesced.
 */
@Injectable()
export class GpusStreamGateway implements OnModuleInit {
  constructor(
    private readonly router: WsRouter,
    private readonly inventory: GpuInventory,
  ) {}

  onModuleInit(): void {
    this.router.register(GPUS_STREAM_PATH, (socket) => this.stream(socket));
  }

  private async stream(socket: WebSocket): Promise<void> {
    let open = true;
    let timer: NodeJS.Timeout | undefined;
    let lastSent = -Infinity; // monotonic ms (performance.now): a wall-clock jump cannot stall frames
    let unsubscribe = (): void => undefined;
    socket.on('error', () => socket.terminate());
    socket.once('close', () => {
      open = false;
      clearTimeout(timer);
      unsubscribe();
    });

    const send = (): void => {
      timer = undefined;
      if (!open || socket.readyState !== WebSocket.OPEN) return;
      lastSent = performance.now();
      const frame: GpusFrameDto = { type: 'gpus', ...toGpuListDto(this.inventory.view()) };
      socket.send(JSON.stringify(frame));
    };
    const schedule = (): void => {
      if (timer !== undefined || !open) return;
      timer = setTimeout(send, Math.max(0, lastSent + GPUS_STREAM_MIN_GAP_MS - performance.now()));
    };

    await this.inventory.ready();
    if (!open) return;
    const subscription = this.inventory.changes$.subscribe({
      next: schedule,
      complete: () => socket.close(1001),
    });
    unsubscribe = () => subscription.unsubscribe();
    send();
  }
}
