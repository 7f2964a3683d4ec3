import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  computed,
  effect,
  inject,
  linkedSignal,
  signal,
  viewChild,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import { ActivatedRoute, Router } from '@angular/router';
import { AuthStore, secondsUntil } from '../core/auth.store';
import { Clock } from '../core/clock';
import { NEXT_PARAM, safeReturnUrl } from '../core/return-url';
import { ThemeToggleComponent } from '../shared/theme-toggle.component';

const MIN_PASSWORD_LENGTH = 8;

type Method = 'password' | 'token';

/** Sign in with the password or the token; right after a first token login, choose a password. */
@Component({
  selector: 'ty-sign-in',
  imports: [FormsModule, ThemeToggleComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main class="auth-page">
      <section class="auth-card" aria-labelledby="auth-title">
        <div class="auth-brand">
          <span class="logo" aria-hidden="true"></span>
          <span class="name">Trainyard</span>
          <span class="spacer"></span>
          <ty-theme-toggle />
        </div>

        @if (store.needsPasswordSetup()) {
          <h1 id="auth-title">Set a password</h1>
          <p class="lead">
            You are signed in with the token. Choose a password for the console; the CLI keeps using the
            token.
          </p>
          <form class="stack" (ngSubmit)="savePassword()" novalidate>
            <!-- Lets password managers file the password under a name; the console has one user. -->
            <input type="text" name="username" autocomplete="username" value="trainyard" hidden />
            <div class="field">
              <label for="new-password">New password</label>
              <input
                #first
                id="new-password"
                name="newPassword"
                type="password"
                autocomplete="new-password"
                required
                [minlength]="minLength"
                aria-describedby="new-password-hint"
                [attr.aria-invalid]="tooShort()"
                [(ngModel)]="newPassword"
              />
              <span id="new-password-hint" class="hint" [class.bad]="tooShort()">
                At least {{ minLength }} characters.
              </span>
            </div>
            <div class="field">
              <label for="confirm-password">Confirm password</label>
              <input
                id="confirm-password"
                name="confirmPassword"
                type="password"
                autocomplete="new-password"
                required
                aria-describedby="confirm-password-hint"
                [attr.aria-invalid]="mismatch()"
                [(ngModel)]="confirmPassword"
              />
              <span id="confirm-password-hint" class="hint" [class.bad]="mismatch()">
                {{ mismatch() ? 'The passwords do not match.' : 'Type it again.' }}
              </span>
            </div>
            @if (store.error(); as error) {
              <p class="alert" role="alert">{{ error }}</p>
            }
            <div class="actions">
              <button type="submit" class="btn btn-primary" [disabled]="!canSave() || store.busy()">
                Set password
              </button>
              <button type="button" class="btn btn-ghost" (click)="skipPassword()">Not now</button>
            </div>
          </form>
        } @else {
          <h1 id="auth-title">Sign in</h1>
          <div class="segmented" role="group" aria-label="Sign in with">
            <button
              type="button"
              [attr.aria-pressed]="method() === 'password'"
              (click)="method.set('password')"
            >
              Password
            </button>
            <button type="button" [attr.aria-pressed]="method() === 'token'" (click)="method.set('token')">
              Token
            </button>
          </div>
          <form class="stack" (ngSubmit)="signIn()" novalidate>
            <!-- Lets password managers file the password under a name; the console has one user. -->
            <input type="text" name="username" autocomplete="username" value="trainyard" hidden />
            @if (method() === 'password') {
              <div class="field">
                <label for="password">Password</label>
                <input
                  #first
                  id="password"
                  name="password"
                  type="password"
                  autocomplete="current-password"
                  required
                  [disabled]="!store.passwordSet()"
                  [attr.aria-describedby]="store.passwordSet() ? null : 'password-hint'"
                  [(ngModel)]="password"
                />
                @if (!store.passwordSet()) {
                  <span id="password-hint" class="hint"
                    >No password is set yet: sign in with the token once to choose one.</span
                  >
                }
              </div>
            } @else {
              <div class="field">
                <label for="token">Token</label>
                <input
                  #first
                  id="token"
                  name="token"
                  type="password"
                  autocomplete="off"
                  spellcheck="false"
                  required
                  aria-describedby="token-hint"
                  [(ngModel)]="token"
                />
                <span id="token-hint" class="hint">
                  Paste the token from <code>auth_token</code> in the state directory, or the whole sign-in
                  link the server printed.
                </span>
              </div>
            }
            @if (waitSeconds() > 0 && method() === 'password') {
              <p class="alert" role="alert">
                Too many failed sign-in attempts from this address (every browser and script on it counts).
                Try again in <span class="mono">{{ waitSeconds() }}</span> s, or use the token.
              </p>
            } @else if (waitSeconds() > 0) {
              <!-- The right token is taken at once, throttled or not: nothing to wait for here. -->
              <p class="hint" role="status">
                Password sign-in waits <span class="mono">{{ waitSeconds() }}</span> s after too many failed
                attempts; the token signs in now.
              </p>
            } @else if (store.error(); as error) {
              <p class="alert" role="alert">{{ error }}</p>
            }
            <div class="actions">
              <button type="submit" class="btn btn-primary" [disabled]="!canSignIn() || store.busy()">
                {{ store.busy() ? 'Signing in…' : 'Sign in' }}
              </button>
            </div>
          </form>
        }
      </section>
    </main>
  `,
  styles: `
    .auth-page {
      min-height: 100dvh;
      display: grid;
      place-items: center;
      padding: 24px;
    }
    .auth-card {
      width: min(400px, 100%);
      background: var(--surface);
      border: 1px solid var(--border);
      border-radius: 8px;
      padding: 20px 24px 24px;
      box-shadow: var(--shadow);
    }
    .auth-brand {
      display: flex;
      align-items: center;
      gap: 8px;
      margin-bottom: 16px;
      font-weight: 600;
    }
    .spacer {
      flex: 1;
    }
    h1 {
      font-size: 18px;
      margin: 0 0 8px;
    }
    .lead {
      margin: 0 0 16px;
      color: var(--text-muted);
    }
    .segmented {
      display: flex;
      border: 1px solid var(--border);
      border-radius: 6px;
      padding: 2px;
      margin: 8px 0 16px;
      background: var(--bg);
    }
    .segmented button {
      flex: 1;
      border: 0;
      background: transparent;
      color: var(--text-muted);
      padding: 5px 8px;
      border-radius: 4px;
      font: inherit;
      cursor: pointer;
    }
    .segmented button[aria-pressed='true'] {
      background: var(--surface-raised);
      color: var(--text);
      font-weight: 600;
    }
    .actions {
      display: flex;
      gap: 8px;
      margin-top: 4px;
    }
    .actions .btn-primary {
      flex: 1;
    }
  `,
})
export class SignInComponent {
  protected readonly store = inject(AuthStore);
  private readonly router = inject(Router);
  private readonly clock = inject(Clock);
  /** The link that was opened before signing in (only a path inside the console). */
  private readonly next = safeReturnUrl(inject(ActivatedRoute).snapshot.queryParamMap.get(NEXT_PARAM));

  protected readonly minLength = MIN_PASSWORD_LENGTH;
  /** Password once one exists; until then the token is the only way in. */
  protected readonly method = linkedSignal<Method>(() => (this.store.passwordSet() ? 'password' : 'token'));
  protected readonly password = signal('');
  protected readonly token = signal('');
  protected readonly newPassword = signal('');
  protected readonly confirmPassword = signal('');

  /** Counts down the login throttle's Retry-After; 0 when signing in is allowed. */
  protected readonly waitSeconds = computed(() =>
    secondsUntil(this.store.throttledUntil(), this.clock.now()),
  );
  /** The right token is always accepted, throttled or not; a password waits out the count. */
  protected readonly canSignIn = computed(() =>
    this.method() === 'password'
      ? // With no password set every try is a wrong one, and counts against the sign-in throttle.
        this.store.passwordSet() && this.password() !== '' && this.waitSeconds() === 0
      : this.token().trim() !== '',
  );
  protected readonly tooShort = computed(
    () => this.newPassword() !== '' && this.newPassword().length < MIN_PASSWORD_LENGTH,
  );
  protected readonly mismatch = computed(
    () => this.confirmPassword() !== '' && this.confirmPassword() !== this.newPassword(),
  );
  protected readonly canSave = computed(
    () => this.newPassword().length >= MIN_PASSWORD_LENGTH && this.confirmPassword() === this.newPassword(),
  );

  /** The form's first field (password, token or new password), focused whenever it changes. */
  private readonly firstField = viewChild<ElementRef<HTMLInputElement>>('first');

  constructor() {
    effect(() => {
      const field = this.firstField()?.nativeElement;
      if (field && !field.disabled) field.focus();
    });
  }

  protected async signIn(): Promise<void> {
    if (!this.canSignIn() || this.store.busy()) return;
    const ok = await this.store.login(
      this.method() === 'password' ? { password: this.password() } : { token: tokenFrom(this.token()) },
    );
    this.password.set('');
    if (ok && this.store.ready()) await this.router.navigateByUrl(this.next);
  }

  protected async savePassword(): Promise<void> {
    if (!this.canSave() || this.store.busy()) return;
    const ok = await this.store.setPassword(this.newPassword());
    if (!ok) return;
    this.newPassword.set('');
    this.confirmPassword.set('');
    await this.router.navigateByUrl(this.next);
  }

  protected async skipPassword(): Promise<void> {
    this.store.clearError();
    this.store.deferPasswordSetup();
    await this.router.navigateByUrl(this.next);
  }
}

/** Accepts the bare token or a pasted sign-in link (`…/?token=…`). */
function tokenFrom(input: string): string {
  const value = input.trim();
  const match = /[?&]token=([^&#\s]+)/.exec(value);
  return match ? decodeURIComponent(match[1]) : value;
}
