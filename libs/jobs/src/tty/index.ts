export {
  readTtyAt,
  readTtyTail,
  TTY_TAIL_MAX_BYTES,
  TtyLogMissingError,
  type TtyChunk,
  type TtyTail,
} from './tty-tail';
export {
  TtyFollower,
  TTY_CHUNK_MAX_BYTES,
  TTY_RESCAN_MS,
  type TtyFollowerOptions,
  type TtyDrop,
  type TtyTruncation,
} from './tty-follower';
export {
  streamTtyToSocket,
  TTY_CLOSE,
  TTY_SOCKET_HIGH_WATER_BYTES,
  type StreamTtyOptions,
  type TtyJobEnd,
} from './tty-stream';
export * from './tty-frames.dto';
export { gcOrphanJobFiles, JOB_FILE_PATTERN, SECRET_FILE_PATTERN, type TtyGcResult } from './tty-gc';
export {
  compileTtyQuery,
  plainLine,
  readTtyRange,
  searchTty,
  TTY_RANGE_MAX_BYTES,
  TTY_RANGE_MAX_LINES,
  TtySearchQueryError,
  ttyLastLinesOffset,
  type TtyRange,
  type TtySearchMatch,
  type TtySearchResult,
} from './tty-range';
export {
  findTtyGeneration,
  readTtyGeneration,
  ttyBasePath,
  ttyGenerationOf,
  type TtyGeneration,
} from './tty-base';
export { parseTtyStreamQuery, TTY_STREAM_QUERY, type TtyStreamQuery } from './tty-stream-query';
