import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids, drawn from the CSPRNG a page at a time: one `randomBytes(4)` per submit
 * cost ~30 µs of the API worker's CPU on a VM (a syscall and a buffer each), ~5 % of a durable
 * submit. Ids are unique names, not secrets (those come from `newSecret` in libs/auth).
 */
const ID_POOL = Buffer.alloc(4096);
let idPoolOffset = ID_POOL.length;

/**
 * `bytes` random bytes (an integer, 1–4096) as hex, for the random part of an id or a temporary
 * name; throws a RangeError outside that range (the hex would be short, or empty).
 */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > ID_POOL.length)
    throw new RangeError(`randomHex: bytes must be an integer from 1 to ${ID_POOL.length}, got ${bytes}`);
  if (idPoolOffset + bytes > ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolOffset = 0;
  }
  const hex = ID_POOL.toString('hex', idPoolOffset, idPoolOffset + bytes);
  idPoolOffset += bytes;
  return hex;
}

/** The millisecond of the last timestamped id, and the ids already made for it. */
let issuedAt = Number.NaN;
const issuedIds = new Set<string>();

/**
 * `<prefix>_<ms>_<hex>`, never one this process made already. An array's 10,000 jobs share one `now`:
 * with 32 random bits alone two of them would clash once in ~86 submits (birthday bound n²/2³³), and
 * the insert would fail as a 500. Ids of the last millisecond asked are kept and a clash redrawn;
 * across nodes, ids of one millisecond clash with the birthday odds of their random bits.
 */
function timestampedId(prefix: string, now: number, bytes: number): string {
  if (now !== issuedAt) {
    issuedAt = now;
    issuedIds.clear();
  }
  let id: string;
  do id = `${prefix}_${now}_${randomHex(bytes)}`;
  while (issuedIds.has(id));
  issuedIds.add(id);
  return id;
}

/** Queue ids sort by submit time and stay unique across restarts and nodes: `q_<ms>_<8 hex>`. */
export function newQueueId(now = Date.now()): string {
  return timestampedId('q', now, 4);
}

/** A whole queue id as newQueueId makes them (what every route and field taking one checks). */
export const QUEUE_ID_PATTERN = /^q_\d{13}_[0-9a-f]{8}$/;

/** Array ids, like queue ids but `a_<ms>_<8 hex>`, so an id says which it names. */
export function newArrayId(now = Date.now()): string {
  return timestampedId('a', now, 4);
}

/** A whole array id as newArrayId makes them. */
export const ARRAY_ID_PATTERN = /^a_\d{13}_[0-9a-f]{8}$/;

/** Run ids (tracking), like queue ids with 12 hex digits: `r_<ms>_<12 hex>`. */
export function newRunId(now = Date.now()): string {
  return timestampedId('r', now, 6);
}

/** A node id: lower-case hex and dashes (each server makes a UUID on first boot, kept in `node_id`). */
export const NODE_ID_PATTERN = /^[0-9a-f-]{8,64}$/;

/**
 * `text` as a node id: lower-cased when that makes it one (ids are case-insensitive hex), else null.
 * The one rule for every place a node id comes in (API fields and paths, the `node_id` file).
 */
export function normalNodeId(text: string): string | null {
  const lower = text.trim().toLowerCase();
  return NODE_ID_PATTERN.test(lower) ? lower : null;
}

/** Why `text` is not a node id, for an error message naming `field`. */
export function nodeIdProblem(field: string, text: unknown): string {
  return `${field} must be a node id: lower-case hex digits and dashes, 8 to 64 of them, like 3f2c1a9e-5b7d-4e0f-9a61-0c2b8d4e6f10 (got ${JSON.stringify(text)})`;
}
