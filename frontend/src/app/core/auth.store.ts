import { DOCUMENT, Injectable, computed, inject, signal } from '@angular/core';

/** `GET /api/auth/status` (mirrors `AuthStatusDto`; the generated client will replace these types). */
export interface AuthStatus {
  auth_required: boolean;
  authenticated: boolean;
  method: string | null;
  password_set: boolean;
  requires_password_setup: boolean;
}

/** `POST /api/auth/login` (mirrors `LoginResponseDto`). */
export interface LoginResponse {
  authenticated: boolean;
  requires_password_setup: boolean;
  expires_at: string;
}

/** `GET /api/health` (mirrors `HealthDto`). */
export interface Health {
  status: string;
  version: string;
  started_at: string;
}

export type Credentials = { token: string } | { password: string };

/** An HTTP answer outside 2xx, with the server's `{ statusCode, code, message }` body when there is one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
  }
}

/**
 * The console's session: exchanges the startup `?token=` for a cookie, signs in and out, sets the
 * first password, and knows the server version. All of the console's HTTP lives here until the
 * generated API client arrives.
 */
@Injectable({ providedIn: 'root' })
export class AuthStore {
  private readonly document = inject(DOCUMENT);

  private readonly statusState = signal<AuthStatus | null>(null);
  private readonly healthState = signal<Health | null>(null);
  private readonly busyState = signal(false);
  private readonly errorState = signal<string | null>(null);
  private readonly setupDeferred = signal(false);

  readonly status = this.statusState.asReadonly();
  readonly health = this.healthState.asReadonly();
  /** A request from a form is in flight. */
  readonly busy = this.busyState.asReadonly();
  /** What went wrong with the last sign-in, password or sign-out attempt, ready to show. */
  readonly error = this.errorState.asReadonly();

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
    const refused =
      'token' in credentials
        ? 'That token is not valid. Copy it again from the auth_token file or the startup link.'
        : 'Wrong password.';
    return this.attempt(async () => {
      await this.request<LoginResponse>('POST', '/api/auth/login', credentials);
      this.setupDeferred.set(false);
      await this.refreshStatus();
    }, refused);
  }

  /** Sets the first browser password (at least 8 characters, checked by the server too). */
  async setPassword(newPassword: string): Promise<boolean> {
    return this.attempt(async () => {
      await this.request('POST', '/api/auth/set-password', { new_password: newPassword });
      await this.refreshStatus();
    });
  }

  /** Skips the first-run password prompt for this page load. */
  deferPasswordSetup(): void {
    this.setupDeferred.set(true);
  }

  async logout(): Promise<boolean> {
    return this.attempt(async () => {
      await this.request('POST', '/api/auth/logout');
      await this.refreshStatus();
    });
  }

  clearError(): void {
    this.errorState.set(null);
  }

  async refreshStatus(): Promise<void> {
    try {
      this.statusState.set(await this.request<AuthStatus>('GET', '/api/auth/status'));
    } catch (err) {
      this.statusState.set(null);
      this.errorState.set(describeError(err));
    }
  }

  private async loadHealth(): Promise<void> {
    try {
      this.healthState.set(await this.request<Health>('GET', '/api/health'));
    } catch {
      this.healthState.set(null);
    }
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

  private async request<T = unknown>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        credentials: 'same-origin',
        cache: 'no-store',
        headers:
          body === undefined
            ? { Accept: 'application/json' }
            : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, null, 'The server did not answer. Is it still running?', null);
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const err = (data ?? {}) as { code?: unknown; message?: unknown };
      const retryAfter = Number(response.headers.get('Retry-After'));
      throw new ApiError(
        response.status,
        typeof err.code === 'string' ? err.code : null,
        typeof err.message === 'string' ? err.message : `${response.status} ${response.statusText}`,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      );
    }
    return data as T;
  }
}

/** A sentence for the user; 401 and 429 get their own wording. */
export function describeError(err: unknown, unauthorized = 'Your session has ended. Sign in again.'): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Check the server log.';
  switch (err.status) {
    case 0:
      return err.message;
    case 401:
      return unauthorized;
    case 429:
      return `Too many failed attempts. Try again in ${err.retryAfterSeconds ?? 60} s.`;
    default:
      return err.message;
  }
}
