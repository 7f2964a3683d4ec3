import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FORM_FIELD } from './form-field.component';

@Component({
  imports: [FORM_FIELD],
  template: `
    <ty-form-field controlId="f-limit" label="Time limit" [hint]="hint()" [error]="error()">
      <input tyFieldControl type="text" />
    </ty-form-field>
  `,
})
class HostComponent {
  readonly hint = signal<string | null>('Blank: the default');
  readonly error = signal<string | null>(null);
}

describe('ty-form-field', () => {
  function render() {
    const fixture = TestBed.createComponent(HostComponent);
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    const input = root.querySelector('input')!;
    const line = () => root.querySelector<HTMLElement>('.hint');
    const update = (patch: { hint?: string | null; error?: string | null }) => {
      if (patch.hint !== undefined) fixture.componentInstance.hint.set(patch.hint);
      if (patch.error !== undefined) fixture.componentInstance.error.set(patch.error);
      fixture.detectChanges();
    };
    return { root, input, line, update };
  }

  it('labels the control by its id and describes it with the hint while valid', () => {
    const { root, input, line } = render();
    expect(input.id).toBe('f-limit');
    expect(root.querySelector('label')!.htmlFor).toBe('f-limit');
    expect(root.querySelector('ty-form-field')!.classList).toContain('field');
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(line()!.id).toBe('f-limit-hint');
    expect(input.getAttribute('aria-describedby')).toBe('f-limit-hint');
    expect(line()!.textContent!.trim()).toBe('Blank: the default');
    expect(line()!.classList).not.toContain('bad');
    expect(line()!.getAttribute('role')).toBeNull();
  });

  it('shows the error instead of the hint, as an alert, and marks the control invalid', () => {
    const { input, line, update } = render();
    update({ error: 'A duration like 90m.' });
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(line()!.textContent!.trim()).toBe('A duration like 90m.');
    expect(line()!.classList).toContain('bad');
    expect(line()!.getAttribute('role')).toBe('alert');
    expect(input.getAttribute('aria-describedby')).toBe('f-limit-hint');

    update({ error: null });
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(line()!.textContent!.trim()).toBe('Blank: the default');
  });

  it('shows no line, and describes the control by nothing, without a hint or an error', () => {
    const { input, line, update } = render();
    update({ hint: null });
    expect(line()).toBeNull();
    expect(input.hasAttribute('aria-describedby')).toBe(false);
    update({ error: 'Required.' });
    expect(line()!.textContent!.trim()).toBe('Required.');
    expect(input.getAttribute('aria-describedby')).toBe('f-limit-hint');
  });
});
