import { ChangeDetectionStrategy, Component, Directive, computed, inject, input } from '@angular/core';

/**
 * One labelled form field: the label, the projected control and one line under it, the error while
 * there is one (in red, announced as an alert) or else the hint (nothing when neither is set).
 * The control is marked `tyFieldControl`, which gives it `controlId` as its id, `aria-invalid` and
 * `aria-describedby` naming the line under it (`<controlId>-hint`).
 *
 * ```html
 * <ty-form-field controlId="submit-priority" label="Priority" hint="Higher runs first" [error]="err('priority')">
 *   <input tyFieldControl type="text" [value]="v.priority" (input)="…" />
 * </ty-form-field>
 * ```
 */
@Component({
  selector: 'ty-form-field',
  changeDetection: ChangeDetectionStrategy.OnPush,
  // The global .field look (styles.css) applies to this element and the projected control.
  host: { class: 'field' },
  template: `
    <label [for]="controlId()">{{ label() }}</label>
    <ng-content />
    @if (message(); as m) {
      <span class="hint" [id]="hintId()" [class.bad]="invalid()" [attr.role]="invalid() ? 'alert' : null">{{
        m
      }}</span>
    }
  `,
})
export class FormFieldComponent {
  /** The control's id (the label's `for`); the line under it is `<controlId>-hint`. */
  readonly controlId = input.required<string>();
  readonly label = input.required<string>();
  /** Shown while there is no error. */
  readonly hint = input<string | null>();
  /** The field's error message; set (non-empty) marks the control invalid. */
  readonly error = input<string | null>();

  readonly invalid = computed(() => !!this.error());
  readonly hintId = computed(() => `${this.controlId()}-hint`);
  protected readonly message = computed(() => this.error() || this.hint() || null);
  /** The line under the control, when one is shown. */
  readonly describedBy = computed(() => (this.message() ? this.hintId() : null));
}

/** Marks the control of the enclosing `ty-form-field` and wires its id and ARIA state to it. */
@Directive({
  selector: '[tyFieldControl]',
  host: {
    '[id]': 'field.controlId()',
    // "true"/"false", as the global style and focusFirstError look for aria-invalid="true".
    '[attr.aria-invalid]': 'field.invalid()',
    '[attr.aria-describedby]': 'field.describedBy()',
  },
})
export class FieldControlDirective {
  protected readonly field = inject(FormFieldComponent);
}

/** The field and its control marker, for a component's `imports`. */
export const FORM_FIELD = [FormFieldComponent, FieldControlDirective] as const;
