import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { Router } from '@angular/router';
import {
  type ConfigDto,
  type ParamSpecDto,
  type ProjectSummaryDto,
  clearConfigOverrides,
  getConfigOverrides,
  runProjectConfig,
  setConfigOverrides,
} from '@trainyard/sdk';
import { API, errorMessage, fieldErrors } from '../core/api';
import { ToastStore } from '../core/toast.store';
import { type FieldValue, initialValues, toOverrides } from './run-form';

export interface RunDialogRequest {
  project: ProjectSummaryDto;
  config: ConfigDto;
  /** `run` submits a job; `overrides` only saves (or clears) the remembered values. */
  mode: 'run' | 'overrides';
}

/**
 * The Run dialog: a form generated from the config's parameter schema (type, default, choices,
 * help), pre-filled with the config's remembered overrides. Run submits POST …/configs/{config}/run
 * (which remembers what differs from the defaults) and opens the new job; a 400 shows beside the
 * field it names.
 */
@Component({
  selector: 'ty-run-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <dialog #dialog class="modal run-dialog" aria-labelledby="run-dialog-title" (close)="closed.emit()">
      @let r = request();
      <form class="modal-body" (submit)="submit($event)" novalidate>
        <h2 id="run-dialog-title">
          {{ r.mode === 'run' ? 'Run' : 'Overrides of' }} {{ r.project.name }} / {{ r.config.name }}
        </h2>
        <p class="muted small">
          {{ r.config.job_type }} job in <span class="mono">{{ r.project.path }}</span>
          @if (r.config.description) {
            — {{ r.config.description }}
          }
        </p>
        @if (loading()) {
          <p class="muted">Loading remembered overrides…</p>
        } @else if (r.config.params.length === 0) {
          <p class="muted">This config takes no parameters.</p>
        }
        @if (!loading()) {
          @for (p of r.config.params; track p.name) {
            @let id = 'run-param-' + p.name;
            @let error = errors()['overrides.' + p.name];
            <div class="field">
              @if (p.type === 'boolean' && !p.choices?.length) {
                <label class="check" [for]="id">
                  <input
                    [id]="id"
                    type="checkbox"
                    [checked]="values()[p.name] === true"
                    (change)="set(p, $any($event.target).checked)"
                  />
                  <span class="mono">{{ p.name }}</span>
                </label>
              } @else {
                <label [for]="id">
                  <span class="mono">{{ p.name }}</span>{{ ' ' }}<span class="muted">({{ p.type }})</span>
                </label>
                @if (p.choices?.length) {
                  <select
                    [id]="id"
                    [value]="values()[p.name]"
                    [attr.aria-invalid]="error ? 'true' : null"
                    (change)="set(p, $any($event.target).value)"
                  >
                    @for (c of p.choices; track c) {
                      <option [value]="'' + c" [selected]="'' + c === values()[p.name]">{{ c }}</option>
                    }
                  </select>
                } @else {
                  <input
                    [id]="id"
                    class="mono"
                    type="text"
                    spellcheck="false"
                    autocomplete="off"
                    [attr.inputmode]="p.type === 'integer' || p.type === 'number' ? 'decimal' : null"
                    [value]="values()[p.name]"
                    [attr.placeholder]="p.default === undefined ? '' : 'default ' + p.default"
                    [attr.aria-invalid]="error ? 'true' : null"
                    (input)="set(p, $any($event.target).value)"
                  />
                }
              }
              @if (error) {
                <span class="field-error" role="alert">{{ error }}</span>
              }
              <span class="hint">
                {{ p.help ?? '' }}
                @if (p.default !== undefined) {
                  <span class="muted">{{ p.help ? ' — ' : '' }}default {{ p.default }}</span>
                }
              </span>
            </div>
          }
        }
        @if (message(); as m) {
          <p class="form-error" role="alert">{{ m }}</p>
        }
        <div class="modal-actions">
          @if (r.mode === 'overrides') {
            <button type="button" class="btn" [disabled]="busy()" (click)="clear()">Clear</button>
          }
          <span class="spacer"></span>
          <button type="button" class="btn" (click)="close()">Cancel</button>
          <button type="submit" class="btn btn-primary" [disabled]="busy() || loading()">
            {{ r.mode === 'run' ? 'Run' : 'Save' }}
          </button>
        </div>
      </form>
    </dialog>
  `,
  styles: `
    .run-dialog {
      width: min(560px, calc(100vw - 32px));
    }
    .small {
      font-size: 12px;
      margin-top: 0;
    }
    .check {
      display: flex;
      align-items: center;
      gap: 6px;
    }
    .field-error,
    .form-error {
      color: var(--danger);
      font-size: 12px;
    }
    .modal-actions {
      display: flex;
      gap: 8px;
    }
  `,
})
export class RunDialogComponent {
  private readonly api = inject(API);
  private readonly router = inject(Router);
  private readonly toasts = inject(ToastStore);
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  readonly request = input.required<RunDialogRequest>();
  readonly closed = output<void>();

  protected readonly values = signal<Record<string, FieldValue>>({});
  protected readonly errors = signal<Record<string, string>>({});
  protected readonly message = signal<string | null>(null);
  protected readonly loading = signal(true);
  protected readonly busy = signal(false);

  constructor() {
    afterNextRender(() => {
      this.dialog().nativeElement.showModal();
      void this.load();
    });
  }

  private async load(): Promise<void> {
    const { project, config } = this.request();
    let remembered = {};
    try {
      remembered = (
        await getConfigOverrides({
          client: this.api,
          query: { project_dir: project.path, config: config.name },
        })
      ).data.values;
    } catch (err) {
      this.message.set(`Could not read the remembered overrides: ${errorMessage(err)}`);
    }
    this.values.set(initialValues(config.params, remembered));
    this.loading.set(false);
    afterNextRender(() => this.dialog().nativeElement.querySelector<HTMLElement>('input, select')?.focus(), {
      injector: this.injector,
    });
  }

  protected set(p: ParamSpecDto, value: FieldValue): void {
    this.values.update((v) => ({ ...v, [p.name]: value }));
    this.errors.update(({ [`overrides.${p.name}`]: _, ...rest }) => rest);
  }

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.busy() || this.loading()) return;
    const { project, config, mode } = this.request();
    const { overrides, errors } = toOverrides(config.params, this.values());
    this.errors.set(errors);
    this.message.set(null);
    if (Object.keys(errors).length) return;
    this.busy.set(true);
    try {
      if (mode === 'run') {
        const { data: job } = await runProjectConfig({
          client: this.api,
          path: { id: project.id, config: config.name },
          body: { overrides },
        });
        this.close();
        void this.router.navigate(['/jobs', job.queue_id]);
      } else {
        await setConfigOverrides({
          client: this.api,
          body: { project_dir: project.path, config: config.name, values: overrides },
        });
        this.toasts.success(`Saved the overrides of ${config.name}.`);
        this.close();
      }
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy.set(false);
    }
  }

  protected async clear(): Promise<void> {
    const { project, config } = this.request();
    this.busy.set(true);
    try {
      await clearConfigOverrides({
        client: this.api,
        query: { project_dir: project.path, config: config.name },
      });
      this.values.set(initialValues(config.params, {}));
      this.toasts.success(`Cleared the overrides of ${config.name}.`);
    } catch (err) {
      this.showError(err);
    } finally {
      this.busy.set(false);
    }
  }

  /** A 400 naming `overrides.<name>` goes beside that field; anything else (403, 409…) below the form. */
  private showError(err: unknown): void {
    const fields = fieldErrors(err);
    const byParam = Object.fromEntries(Object.entries(fields).filter(([k]) => k.startsWith('overrides.')));
    this.errors.set(byParam);
    if (Object.keys(byParam).length === 0) this.message.set(errorMessage(err));
  }

  protected close(): void {
    const dialog = this.dialog().nativeElement;
    if (dialog.open) dialog.close();
    else this.closed.emit();
  }
}
