import { DestroyRef, Directive, ElementRef, inject } from '@angular/core';

/**
 * Keeps keyboard focus inside a live list when the list reorders under it.
 *
 * `@for` moves an item by taking its element out of the document and putting it back; an element
 * taken out loses focus (to `<body>`) although it is back a moment later, so the user's next key
 * (Enter, j/k, Tab) acts on nothing. This directive remembers the element focused inside its host
 * and, once the DOM change is done, focuses it again if it is still in the list and nothing else
 * has taken focus. A click elsewhere or focus moved away lets it go.
 */
@Directive({ selector: '[keepFocus]' })
export class KeepFocusDirective {
  constructor() {
    const host: HTMLElement = inject(ElementRef).nativeElement;
    const doc = host.ownerDocument;
    let focused: HTMLElement | null = null;
    const onFocusIn = (e: FocusEvent) => (focused = e.target as HTMLElement);
    // Focus moving to another element sets it there (focusin) or lets it go; moving to nothing is
    // either a removal (to undo) or a click on blank space (caught by pointerdown below).
    const onFocusOut = (e: FocusEvent) => {
      if (e.relatedTarget) focused = null;
    };
    const onPointerDown = (e: PointerEvent) => {
      if (!host.contains(e.target as Node)) focused = null;
    };
    const observer = new MutationObserver(() => {
      if (!focused) return;
      if (!focused.isConnected || !host.contains(focused)) focused = null;
      else if (doc.activeElement === doc.body || doc.activeElement === null)
        focused.focus({ preventScroll: true });
    });
    host.addEventListener('focusin', onFocusIn);
    host.addEventListener('focusout', onFocusOut);
    doc.addEventListener('pointerdown', onPointerDown, true);
    observer.observe(host, { childList: true, subtree: true });
    inject(DestroyRef).onDestroy(() => {
      observer.disconnect();
      host.removeEventListener('focusin', onFocusIn);
      host.removeEventListener('focusout', onFocusOut);
      doc.removeEventListener('pointerdown', onPointerDown, true);
    });
  }
}
