import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { SERVER_CONFIG, ServerConfig } from '@trainyard/core';
import { Journal, NODE_ID } from '@trainyard/journal';
import { TokenStore } from './token-store';
import { PasswordStore } from './password-store';
import { UrlTokens } from './url-tokens';
import { ScopedTokens } from './scoped-tokens';
import { LoginThrottle } from './login-throttle';
import { newSecret, sha256Hex } from './secrets';
import { SessionRepository, StoredSession } from './infrastructure/session.repository';
import { SessionsRevokedEvent } from './auth.events';

/**
 * Session cookies are named `trainyard_session_<12 hex>`, the suffix derived from the node id: cookies
 * are scoped by host, not port, so every Trainyard server on a host needs its own name, and the node id
 * is stable per state directory, so persisted sessions survive restarts.
 */
export const SESSION_COOKIE_PREFIX = 'trainyard_session_';
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** A handover not taken within this long (ms) is stale: the next worker never came up. */
export const HANDOVER_MAX_AGE_MS = 5 * 60_000;

export function sessionCookieName(nodeId: string): string {
  return `${SESSION_COOKIE_PREFIX}${sha256Hex(nodeId).slice(0, 12)}`;
}

/**
 * How a request proved who it is. `bearer_query` is the bearer token passed as `?token=`;
 * `scoped_token` a narrow token (see ScopedTokens) on one of its own routes.
 */
export type AuthMethod = 'bearer' | 'cookie' | 'bearer_query' | 'url_token' | 'scoped_token' | 'none';

export interface AuthContext {
  method: AuthMethod;
  /** sha256 of the session id, for cookie sessions. */
  sessionHash?: string;
}

/** Holds every credential the server accepts and decides whether a request carries one. */
@Injectable()
export class Credentials implements OnModuleInit {
  private readonly logger = new Logger('Auth');
  readonly token: TokenStore;
  readonly password: PasswordStore;
  readonly urlTokens = new UrlTokens();
  /** Narrow tokens other libs issue, each valid on its own routes only (see auth-gate.ts). */
  readonly scoped = new ScopedTokens();
  readonly throttle = new LoginThrottle();
  /** This server's session cookie name (see `sessionCookieName`). */
  readonly sessionCookie: string;
  private readonly sessions = new Map<string, StoredSession>();

  constructor(
    @Inject(SERVER_CONFIG) readonly config: ServerConfig,
    @Inject(NODE_ID) nodeId: string,
    private readonly sessionRepository: SessionRepository,
    private readonly journal: Journal,
  ) {
    this.token = new TokenStore(config.paths.authToken, config.regen_token);
    this.password = new PasswordStore(config.paths.passwordHash);
    this.sessionCookie = sessionCookieName(nodeId);
  }

  get authRequired(): boolean {
    return !this.config.no_auth;
  }

  /**
   * Boot: expired session rows are purged; a new bearer token (`--regen-token`, or a missing token
   * file) drops every stored session, since they were opened under the old one. Sessions handed over
   * by a gracefully restarting worker (`handOverSessions`) are taken back into memory, and without
   * `--persist-sessions` deleted from disk at once; a handover older than `HANDOVER_MAX_AGE_MS` (its
   * next worker never came up; this is a later start) is dropped. With `--persist-sessions` every row
   * is restored.
   */
  async onModuleInit(): Promise<void> {
    const now = Date.now();
    await this.journal.record(async (tx) => {
      await this.sessionRepository.deleteExpired(tx, now);
      await this.sessionRepository.deleteHandedOver(tx, now - HANDOVER_MAX_AGE_MS);
      if (!this.token.created) return { result: undefined, events: [] };
      const dropped = await this.sessionRepository.deleteAllExcept(tx);
      return {
        result: undefined,
        events: dropped ? [new SessionsRevokedEvent('token_regenerated', dropped)] : [],
      };
    });
    const handedOver = await this.sessionRepository.loadHandedOver();
    for (const session of handedOver) this.sessions.set(session.idHash, session);
    if (handedOver.length > 0) {
      await this.journal.record(async (tx) => {
        if (this.config.persist_sessions) await this.sessionRepository.clearHandOverMarks(tx);
        else await this.sessionRepository.deleteHandedOver(tx);
        return { result: undefined, events: [] };
      });
      this.logger.log(`took over ${handedOver.length} session(s) from the previous worker`);
    }
    if (!this.config.persist_sessions) return;
    for (const session of await this.sessionRepository.loadAll()) {
      if (session.expiresAt > now) this.sessions.set(session.idHash, session);
    }
    this.logger.log(`restored ${this.sessions.size} persisted session(s)`);
  }

  /**
   * Graceful restart (POST /api/server/restart): writes the live sessions (id hashes only) for the
   * next worker, which takes them over at boot. A stop or a crash does not call this, so without
   * `--persist-sessions` those still end every session. With it, every session already has its row.
   */
  async handOverSessions(now = Date.now()): Promise<number> {
    if (this.config.persist_sessions) return 0;
    const live = [...this.sessions.values()].filter((s) => s.expiresAt > now);
    await this.journal.record(async (tx) => {
      await this.sessionRepository.handOver(tx, live, now);
      return { result: undefined, events: [] };
    });
    return live.length;
  }

  /** Creates a session; returns the cookie value (the raw id, which is never stored). */
  newSession(now = Date.now()): { id: string; session: StoredSession } {
    const id = newSecret(32);
    const session = { idHash: sha256Hex(id), createdAt: now, expiresAt: now + SESSION_TTL_MS };
    this.sessions.set(session.idHash, session);
    return { id, session };
  }

  dropSession(idHash: string): void {
    this.sessions.delete(idHash);
  }

  /** Ends every live session but `keepHash` (the caller's, when given); returns how many ended. */
  dropSessionsExcept(keepHash?: string): number {
    let dropped = 0;
    for (const idHash of this.sessions.keys()) {
      if (idHash === keepHash) continue;
      this.sessions.delete(idHash);
      dropped += 1;
    }
    return dropped;
  }

  /** Forgets live sessions past their expiry; returns how many. */
  dropExpiredSessions(now = Date.now()): number {
    let dropped = 0;
    for (const [idHash, session] of this.sessions) {
      if (session.expiresAt > now) continue;
      this.sessions.delete(idHash);
      dropped += 1;
    }
    return dropped;
  }

  get persistSessions(): boolean {
    return this.config.persist_sessions;
  }

  /**
   * Credential order: bearer header → session cookie → `?token=` (bearer token or one-shot URL token).
   * `consumeUrlToken: false` (open routes, unknown paths) ignores one-shot tokens instead of spending them.
   */
  authenticate(
    headers: IncomingHttpHeaders,
    rawUrl: string,
    now = Date.now(),
    { consumeUrlToken = true } = {},
  ): AuthContext | null {
    if (!this.authRequired) return { method: 'none' };
    const authorization = headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      // A presented but wrong bearer token is a failure, not a reason to try weaker credentials.
      return match && this.token.matches(match[1]) ? { method: 'bearer' } : null;
    }
    const sessionId = readCookie(headers.cookie, this.sessionCookie);
    if (sessionId) {
      const idHash = sha256Hex(sessionId);
      const session = this.sessions.get(idHash);
      if (session && session.expiresAt > now) return { method: 'cookie', sessionHash: idHash };
      if (session) this.sessions.delete(idHash);
    }
    const queryToken = readQueryToken(rawUrl);
    if (queryToken) {
      if (this.token.matches(queryToken)) return { method: 'bearer_query' };
      if (consumeUrlToken && queryToken.startsWith('ut_') && this.urlTokens.consume(queryToken, now))
        return { method: 'url_token' };
    }
    return null;
  }

  /**
   * Whether an open WebSocket's upgrade request would still be let in now (its session still
   * there, the bearer token the same). One admitted by a one-shot URL token, spent at the upgrade,
   * keeps counting: nothing later revokes it.
   */
  stillAdmits(request: { headers: IncomingHttpHeaders; url?: string }, now = Date.now()): boolean {
    const url = request.url ?? '/';
    if (this.authenticate(request.headers, url, now, { consumeUrlToken: false })) return true;
    return readQueryToken(url)?.startsWith('ut_') ?? false;
  }
}

/** Set-Cookie for the session: HttpOnly (no script access), SameSite=Lax, Secure on https, Path=/. */
export function sessionSetCookie(
  name: string,
  value: string,
  secure: boolean,
  maxAgeSeconds = SESSION_TTL_MS / 1000,
): string {
  const parts = [
    `${name}=${value}`,
    `Max-Age=${Math.floor(maxAgeSeconds)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function readQueryToken(rawUrl: string): string | undefined {
  const q = rawUrl.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(rawUrl.slice(q + 1)).get('token') ?? undefined;
}
