import { Injectable, Logger } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { WsRouter } from '@trainyard/core';
import { SessionEndedEvent, SessionsRevokedEvent } from './auth.events';
import { Credentials } from './credentials';

/**
 * Open WebSockets (live logs, GPU and job streams) are let in once, at their upgrade. When sessions
 * end — sign out, sign out everywhere, a password change, expiry — the sockets they admitted are
 * closed (1008), so a revoked session keeps no live stream.
 */
@Injectable()
export class SignedOutSockets {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly credentials: Credentials,
    private readonly router: WsRouter,
  ) {}

  closeRevoked(): void {
    const closed = this.router.closeWhere((request) => !this.credentials.stillAdmits(request), 'signed out');
    if (closed) this.logger.log(`closed ${closed} WebSocket(s) of sessions that ended`);
  }
}

@EventsHandler(SessionEndedEvent, SessionsRevokedEvent)
export class CloseSignedOutSockets implements IEventHandler<SessionEndedEvent | SessionsRevokedEvent> {
  constructor(private readonly sockets: SignedOutSockets) {}

  handle(): void {
    this.sockets.closeRevoked();
  }
}
