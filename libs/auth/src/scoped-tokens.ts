/**
 * A kind of narrow credential another lib issues (e.g. a tracking run's ingest token), recognised by
 * its prefix and valid only on the routes it names. The gate asks `check` only on those routes; on
 * every other route such a token is no credential at all (401), so a new route is closed to it by
 * default.
 */
export interface ScopedTokenScheme {
  /** What every token of this scheme starts with, e.g. `tyr_`. */
  prefix: string;
  /** The routes it may call, as `METHOD /route/template` (the route Fastify matched). */
  routes: readonly string[];
  /** What it is and where it is accepted, for the 401 elsewhere ("a run's ingest token: only on …"). */
  description: string;
  /**
   * `ok`: the token may make this request (`params` are the matched route's parameters);
   * `forbidden`: it is a valid token, but for another resource (403); null: not a valid token (401).
   */
  check(token: string, params: Readonly<Record<string, string>>, now: number): 'ok' | 'forbidden' | null;
}

/** The registered schemes; libs add theirs at init (see Credentials.scoped). */
export class ScopedTokens {
  private readonly schemes: ScopedTokenScheme[] = [];

  register(scheme: ScopedTokenScheme): void {
    if (this.schemes.some((s) => s.prefix.startsWith(scheme.prefix) || scheme.prefix.startsWith(s.prefix)))
      throw new Error(`scoped token prefix ${scheme.prefix} overlaps a registered one`);
    this.schemes.push(scheme);
  }

  /** The scheme a bearer token belongs to, if any. */
  schemeOf(token: string): ScopedTokenScheme | undefined {
    return this.schemes.find((s) => token.startsWith(s.prefix));
  }
}
