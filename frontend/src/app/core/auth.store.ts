import { DOCUMENT, Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import {
  type AuthStatusDto,
  type HealthDto,
  TrainyardApiError,
  authStatus,
  getHealth,
  login,
  logout,
  logoutAll,
  setPassword,
} from '@trainyard/sdk';
import { API, errorMessage } from './api';
import { signInUrl } from './return-url';
import { readStored, writeStored } from './storage';

export type Credentials = { token: string } | { password: string };

export const SESSION_ENDED = 'Your session has ended. Sign in again.';

/** "Not now" on the first-run password prompt, kept across page loads (localStorage is per server origin). */
export const SETUP_DEFERRED_KEY = 'trainyard.passwordSetup.deferred';

/**
 * Set while this browser holds a session of this server: a later page load that finds no session
 * can then say it ended (server restarted, signed out elsewhere) instead of a bare first-visit form.
 */
export const HAD_SESSION_KEY = 'trainyard.session.held';

/** Whole seconds until `until` (ms since the epoch), counted up so "0 s" never shows while still refused. */
export function secondsUntil(until: number | null, now: number): number {
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

/**
 * The console's session: exchanges the startup `?token=` for a cookie, signs in and out, sets the
 * first password, knows the server version, and sends the user back to the sign-in page when any
 * API call answers 401 (session expired, server restarted without persisted sessions, ...).
 */
@Injectable({ providedIn: 'root' })
export class AuthStore {
  private readonly document = inject(DOCUMENT);
  private readonly api = inject(API);
  private readonly router = inject(Router);

  private readonly statusState = signal<AuthStatusDto | null>(null);
  private readonly healthState = signal<HealthDto | null>(null);
  private readonly busyState = signal(false);
  private readonly errorState = signal<string | null>(null);
  private readonly setupDeferred = signal(readStored(SETUP_DEFERRED_KEY, false));
  private readonly throttledUntilState = signal<number | null>(null);

  readonly status = this.statusState.asReadonly();
  readonly health = this.healthState.asReadonly();
  /** A request from a form is in flight. */
  readonly busy = this.busyState.asReadonly();
  /** What went wrong with the last sign-in, password or sign-out attempt, ready to show. */
  readonly error = this.errorState.asReadonly();
  /** When sign-in attempts are accepted again after a 429 (ms since the epoch, from Retry-After). */
  readonly throttledUntil = this.throttledUntilState.asReadonly();

  readonly authenticated = computed(() => this.statusState()?.authenticated ?? false);
  readonly passwordSet = computed(() => this.statusState()?.password_set ?? false);
  /** Signed in with the token while no password exists yet (never with --no-auth). */
  readonly needsPasswordSetup = computed(() => {
    const s = this.statusState();
    return !!s && s.auth_required && s.requires_password_setup && !this.setupDeferred();
  });
  /** Signed in and done with the first-run password prompt: the console may show. */
  readonly ready = computed(() => this.authenticated() && !this.needsPasswordSetup());
  /** Only a cookie session can be ended from the browser (not --no-auth). */
  readonly canSignOut = computed(() => this.statusState()?.method === 'cookie');

  /** A sign-out in progress (see signingOut). */
  private leaving = false;

  constructor() {
    // Any 401 while signed in means the session is gone: back to the sign-in page, saying why.
    // (A response interceptor, not an error one: the client's error interceptors replace each other.)
    this.api.interceptors.response.use((response) => {
      if (response.status === 401 && this.authenticated()) this.sessionEnded();
      if (response.status === 429) {
        const seconds = Number(response.headers.get('Retry-After'));
        if (Number.isFinite(seconds) && seconds > 0)
          this.throttledUntilState.set(Date.now() + seconds * 1000);
      }
      return response;
    });
  }

  /** Runs once before the first navigation (an app initializer). */
  async init(): Promise<void> {
    const health = this.loadHealth();
    const token = new URL(this.document.location.href).searchParams.get('token');
    let signedIn = false;
    if (token !== null) {
      try {
        signedIn = await this.login({ token });
      } finally {
        this.stripTokenFromAddressBar();
      }
    }
    // A successful login has already fetched the status.
    await Promise.all([signedIn ? undefined : this.refreshStatus(), health]);
  }

  /** Signs in with the token or the password; false (and `error` set) when refused. */
  async login(credentials: Credentials): Promise<boolean> {
    // A one-shot link (`ut_…`, from another node's console) is spent once used or after its minute.
    const refused =
      'token' in credentials
        ? credentials.token.startsWith('ut_')
          ? 'That sign-in link was already used or has expired. Open a new one from the console that gave it.'
          : 'That token is not valid. Copy it again from the auth_token file or the startup link.'
        : 'Wrong password.';
    const ok = await this.attempt(async () => {
      await login({ client: this.api, body: credentials });
      this.throttledUntilState.set(null);
      await this.refreshStatus();
    }, refused);
    // Refused for too many attempts: the sign-in page counts down from throttledUntil instead.
    if (!ok && secondsUntil(this.throttledUntilState(), Date.now()) > 0) this.errorState.set(null);
    return ok;
  }

  /** Sets the first browser password (at least 8 characters, checked by the server too). */
  async setPassword(newPassword: string): Promise<boolean> {
    return this.attempt(async () => {
      await setPassword({ client: this.api, body: { new_password: newPassword } });
      await this.refreshStatus();
    });
  }

  /** Skips the first-run password prompt, in this browser, until a password is set. */
  deferPasswordSetup(): void {
    this.setupDeferred.set(true);
    writeStored(SETUP_DEFERRED_KEY, true);
  }

  async logout(): Promise<boolean> {
    return this.signingOut(() => logout({ client: this.api }));
  }

  /** Signs out every browser session of this server, this one included. */
  async logoutAll(): Promise<boolean> {
    return this.signingOut(() => logoutAll({ client: this.api }));
  }

  /**
   * Signed out on purpose: nothing to explain, now or next time. Meanwhile the server closes this
   * session's live streams, and whatever notices that (a stream asking whether the session holds, a
   * 401) must not take it for a session that ended by itself.
   */
  private async signingOut(request: () => Promise<unknown>): Promise<boolean> {
    this.leaving = true;
    try {
      return await this.attempt(async () => {
        writeStored(HAD_SESSION_KEY, false);
        await request();
        await this.refreshStatus();
      });
    } finally {
      this.leaving = false;
    }
  }

  clearError(): void {
    this.errorState.set(null);
  }

  async refreshStatus(): Promise<void> {
    try {
      const status = (await authStatus({ client: this.api })).data;
      this.statusState.set(status);
      // Only a cookie session can end; a session this browser held and the server refuses did.
      if (status.method === 'cookie') writeStored(HAD_SESSION_KEY, true);
      else if (!status.authenticated && readStored(HAD_SESSION_KEY, false)) {
        writeStored(HAD_SESSION_KEY, false);
        this.errorState.set(SESSION_ENDED);
      }
    } catch (err) {
      this.statusState.set(null);
      this.errorState.set(describeError(err));
    }
  }

  /** Asks the server whether the session still holds (a WebSocket cannot say 401); false if not. */
  async checkSession(): Promise<boolean> {
    try {
      const { data } = await authStatus({ client: this.api });
      if (!data.authenticated && this.authenticated()) this.sessionEnded();
      return data.authenticated;
    } catch {
      return true; // unreachable is not unauthenticated; the caller's reconnect handles it
    }
  }

  /** Re-reads the server's version and start time (after a restart). */
  async loadHealth(): Promise<HealthDto | null> {
    try {
      const health = (await getHealth({ client: this.api })).data;
      this.healthState.set(health);
      return health;
    } catch {
      return null;
    }
  }

  /** Back to the sign-in page, saying why, and remembering where the user was. */
  private sessionEnded(): void {
    if (this.leaving) return; // signing out: the sign-out itself goes to the sign-in page
    const current = this.router.url;
    const status = this.statusState();
    this.statusState.set(status ? { ...status, authenticated: false, method: null } : null);
    writeStored(HAD_SESSION_KEY, false);
    this.errorState.set(SESSION_ENDED);
    if (current.startsWith('/sign-in')) return;
    void this.router.navigateByUrl(signInUrl(this.router, current), { replaceUrl: true });
  }

  private async attempt(action: () => Promise<void>, unauthorized?: string): Promise<boolean> {
    this.busyState.set(true);
    this.errorState.set(null);
    try {
      await action();
      return true;
    } catch (err) {
      this.errorState.set(describeError(err, unauthorized));
      return false;
    } finally {
      this.busyState.set(false);
    }
  }

  /** Removes `token` from the address bar (and so from history), keeping everything else. */
  private stripTokenFromAddressBar(): void {
    const { history, location } = this.document.defaultView ?? window;
    const url = new URL(location.href);
    url.searchParams.delete('token');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
}

/** For the user: 401 gets its own wording, everything else {@link errorMessage}'s. */
export function describeError(err: unknown, unauthorized = SESSION_ENDED): string {
  return err instanceof TrainyardApiError && err.status === 401 ? unauthorized : errorMessage(err);
}
