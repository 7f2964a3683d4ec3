/**
 * Credentials a log line may carry by accident: `token=` in a URL (the bearer token or a one-shot
 * token), `Authorization: Bearer …`, and the session cookie. Replaced with `[redacted]`.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/([?&;]token=)[^&#\s"']*/gi, '$1[redacted]'],
  [/(\bBearer\s+)[^\s"',;]+/gi, '$1[redacted]'],
  [/(\btrainyard_session[\w-]*=)[^;\s"',&]*/gi, '$1[redacted]'],
  [/\but_[A-Za-z0-9_-]{16,}/g, 'ut_[redacted]'],
];

/** `text` with every credential pattern above replaced; safe to write to a log. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
