/**
 * Credentials a log line may carry by accident: `token=` in a URL (the bearer token or a one-shot
 * token), `Authorization: Bearer …`, and the session cookie. Replaced with `[redacted]`.
 */
const PATTERNS: Array<[RegExp, string | ((whole: string, ...groups: string[]) => string)]> = [
  [/([?&;]token=)[^&#\s"']*/gi, '$1[redacted]'],
  // After "Bearer", what looks like a credential (a digit in it, or 16+ characters), not prose such
  // as "use the bearer token": error messages say that to users.
  [
    /(\bBearer\s+)([^\s"',;]+)/gi,
    (whole, prefix, value) => (/\d/.test(value) || value.length >= 16 ? `${prefix}[redacted]` : whole),
  ],
  [/(\btrainyard_session[\w-]*=)[^;\s"',&]*/gi, '$1[redacted]'],
  [/\but_[A-Za-z0-9_-]{16,}/g, 'ut_[redacted]'],
];

/** `text` with every credential pattern above replaced; safe to write to a log. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS)
    out =
      typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  return out;
}
