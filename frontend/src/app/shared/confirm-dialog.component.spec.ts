import { TestBed } from '@angular/core/testing';
import { ConfirmStore } from '../core/confirm.store';
import { ConfirmDialogComponent } from './confirm-dialog.component';

describe(ConfirmDialogComponent.name, () => {
  beforeAll(() => {
    // jsdom has <dialog> but not its modal API.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.open = true;
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.open = false;
    };
  });

  // A retry is not destructive-looking but starts work, as a kill does: a bare Enter must not confirm.
  it.each([
    ['a retry (not styled as danger)', false],
    ['a kill', true],
  ])('starts on the dismiss button for %s, so Enter pressed by habit does not confirm', async (_, danger) => {
    const fixture = TestBed.createComponent(ConfirmDialogComponent);
    document.body.appendChild(fixture.nativeElement);
    fixture.autoDetectChanges();
    const store = TestBed.inject(ConfirmStore);
    const answer = store.ask({
      title: 'Retry 3 jobs of array a_1_beef?',
      message: '…',
      confirmLabel: 'Queue 3 jobs again',
      danger,
    });
    await fixture.whenStable();
    const host = fixture.nativeElement as HTMLElement;
    await vi.waitFor(() =>
      expect(document.activeElement).toBe(host.querySelector('[data-confirm="cancel"]')),
    );
    (document.activeElement as HTMLButtonElement).click();
    expect(await answer).toBe(false);
    fixture.nativeElement.remove();
  });
});
