import { Logger } from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { DomainError, ERROR_CODES, type ErrorCode } from '@trainyard/core';

/**
 * Inter-node calls: NATS request/reply on `trainyard.<cluster>.node.<node_id>.<method>`. Whoever can
 * publish on the cluster's NATS account (its credentials) may call; no bearer token travels between
 * nodes. A handler's DomainError crosses as `{code, message, details}` and is thrown again on the
 * caller with the same code, so a peer's 400/404/409 stays one for the API client.
 */

/**
 * A call the node took but did not answer in time (NODE_UNREACHABLE): unlike "nobody answers", the
 * node may have carried it out.
 */
export class NodeCallTimeout extends DomainError {
  constructor(message: string) {
    super('NODE_UNREACHABLE', message);
  }
}

/** Default reply timeout; a node that does not answer in time counts as unreachable. */
export const RPC_TIMEOUT_MS = 5000;

export type RpcHandler = (payload: Record<string, unknown>) => Promise<unknown>;

type Reply =
  { ok: true; result: unknown } | { ok: false; code: ErrorCode; message: string; details?: unknown };

export function nodeSubject(cluster: string, nodeId: string, method: string): string {
  return `trainyard.${cluster}.node.${nodeId}.${method}`;
}

/** Answers this node's subjects with `handlers[method]` until the subscription is closed. */
export function serveNodeCalls(
  nc: NatsConnection,
  cluster: string,
  nodeId: string,
  handlers: Readonly<Record<string, RpcHandler>>,
): Subscription {
  const logger = new Logger('ClusterRpc');
  const prefix = nodeSubject(cluster, nodeId, '');
  return nc.subscribe(`${prefix}*`, {
    callback: (err, msg) => {
      if (err) return;
      void answer(msg, handlers[msg.subject.slice(prefix.length)], logger);
    },
  });
}

async function answer(msg: Msg, handler: RpcHandler | undefined, logger: Logger): Promise<void> {
  let reply: Reply;
  try {
    if (!handler) throw new DomainError('ROUTE_NOT_FOUND', `no node call ${msg.subject}`);
    const payload = msg.data.length ? msg.json<Record<string, unknown>>() : {};
    reply = { ok: true, result: await handler(payload ?? {}) };
  } catch (err) {
    if (err instanceof DomainError)
      reply = { ok: false, code: err.code, message: err.message, details: err.details };
    else {
      logger.warn(`${msg.subject} failed: ${(err as Error).stack ?? String(err)}`);
      reply = { ok: false, code: 'INTERNAL', message: (err as Error).message };
    }
  }
  msg.respond(JSON.stringify(reply));
}

/**
 * Calls `method` on `nodeId` and resolves with its result; throws the node's DomainError, or
 * NODE_UNREACHABLE when nobody answers within `timeoutMs` (node down, NATS away).
 */
export async function callNode<T>(
  nc: NatsConnection | null,
  cluster: string,
  nodeId: string,
  method: string,
  payload: object = {},
  timeoutMs = RPC_TIMEOUT_MS,
): Promise<T> {
  if (!nc) throw new DomainError('NODE_UNREACHABLE', `node ${nodeId}: not connected to the cluster`);
  let msg: Msg;
  try {
    msg = await nc.request(nodeSubject(cluster, nodeId, method), JSON.stringify(payload), {
      timeout: timeoutMs,
    });
  } catch (err) {
    // NATS says "no responders" at once when nothing subscribes to the node's subjects.
    if (/no responders/i.test((err as Error).message))
      throw new DomainError(
        'NODE_UNREACHABLE',
        `node ${nodeId} is not reachable: it is down or not connected to NATS (nothing answers ${method})`,
      );
    throw new NodeCallTimeout(
      `node ${nodeId} did not answer ${method} within ${timeoutMs / 1000} s: ${(err as Error).message}`,
    );
  }
  const reply = msg.json<Reply>();
  if (reply.ok) return reply.result as T;
  const code = (ERROR_CODES as readonly string[]).includes(reply.code) ? reply.code : 'INTERNAL';
  throw new DomainError(code, reply.message, reply.details as DomainError['details']);
}
