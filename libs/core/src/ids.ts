import { randomBytes } from 'node:crypto';

/** Queue ids sort by submit time and stay unique across restarts and nodes: `q_<ms>_<8 hex>`. */
export function newQueueId(now = Date.now()): string {
  return `q_${now}_${randomBytes(4).toString('hex')}`;
}

/** A whole queue id as newQueueId makes them (what every route and field taking one checks). */
export const QUEUE_ID_PATTERN = /^q_\d{13}_[0-9a-f]{8}$/;

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Array ids, like queue ids but `a_<ms>_<8 hex>`, so an id says which it names. */
export function newArrayId(now = Date.now()): string {
  return `a_${now}_${randomBytes(4).toString('hex')}`;
}

/** A whole array id as newArrayId makes them. */
export const ARRAY_ID_PATTERN = /^a_\d{13}_[0-9a-f]{8}$/;
