// Hand-written: bounds the server holds a job's settings to (POST /api/queue answers 400 beyond
// them), here so that a form or the CLI checks the same numbers before sending.

/** Job priorities and a GPU's priority gate (`min_priority`) lie in -MAX_PRIORITY..MAX_PRIORITY. */
export const MAX_PRIORITY = 1_000_000;

/** The longest kill grace (`kill_grace_s`, SIGTERM → SIGKILL), seconds: one hour. */
export const MAX_KILL_GRACE_S = 3600;

/** The smallest log cap (`log_cap_bytes`) but 0 (no cap), bytes: a screenful of lines beside the marker line. */
export const MIN_LOG_CAP_BYTES = 4096;
