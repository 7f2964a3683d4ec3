import {
  inject,
  Provider,
  Renderer2,
  RendererFactory2,
  RendererStyleFlags2,
  RendererType2,
} from '@angular/core';
import { ɵDomRendererFactory2 as DomRendererFactory2 } from '@angular/platform-browser';
import { escapeControls } from '@trainyard/sdk';

/** Attributes whose text a user reads (tooltips, screen readers): escaped like text nodes. */
const READ_ATTRIBUTES = new Set(['title', 'aria-label']);

const visible = (value: unknown): unknown =>
  typeof value === 'string' ? escapeControls(value, { multiline: true }) : value;

/**
 * Every text the console renders through Angular — each interpolation, `[title]`, `aria-label` —
 * shows control characters and the bidi controls that reorder text (U+202E, U+2066…) as visible
 * escapes (`\u202e`), as the CLI does (`escapeControls`): a job named `invoice\u202efdp.exe` must not
 * read as `invoiceexe.pdf`, nor reverse the job id beside it. Line breaks and tabs stay. Done here,
 * once for every view, rather than as a pipe each template could forget. Form values, `innerHTML`
 * (the sanitised markdown) and what the terminal (xterm.js) and the editor (Monaco) draw themselves
 * are left alone: they show a job's output or a file as it is.
 *
 * Wraps Angular's DOM renderer the way its own animations package does.
 */
class VisibleTextRenderer implements Renderer2 {
  readonly destroyNode: ((node: unknown) => void) | null;

  constructor(private readonly inner: Renderer2) {
    this.destroyNode = inner.destroyNode ? (node) => inner.destroyNode!(node) : null;
  }

  get data() {
    return this.inner.data;
  }

  createText(value: string) {
    return this.inner.createText(visible(value) as string);
  }
  setValue(node: unknown, value: string) {
    this.inner.setValue(node, visible(value) as string);
  }
  setAttribute(el: unknown, name: string, value: string, namespace?: string | null) {
    this.inner.setAttribute(
      el,
      name,
      READ_ATTRIBUTES.has(name) ? (visible(value) as string) : value,
      namespace,
    );
  }
  setProperty(el: unknown, name: string, value: unknown) {
    this.inner.setProperty(el, name, name === 'title' ? visible(value) : value);
  }

  destroy() {
    this.inner.destroy();
  }
  createElement(name: string, namespace?: string | null) {
    return this.inner.createElement(name, namespace);
  }
  createComment(value: string) {
    return this.inner.createComment(value);
  }
  appendChild(parent: unknown, newChild: unknown) {
    this.inner.appendChild(parent, newChild);
  }
  insertBefore(parent: unknown, newChild: unknown, refChild: unknown, isMove?: boolean) {
    this.inner.insertBefore(parent, newChild, refChild, isMove);
  }
  removeChild(
    parent: unknown,
    oldChild: unknown,
    isHostElement?: boolean,
    requireSynchronousElementRemoval?: boolean,
  ) {
    this.inner.removeChild(parent, oldChild, isHostElement, requireSynchronousElementRemoval);
  }
  selectRootElement(selectorOrNode: string | unknown, preserveContent?: boolean) {
    return this.inner.selectRootElement(selectorOrNode, preserveContent);
  }
  parentNode(node: unknown) {
    return this.inner.parentNode(node);
  }
  nextSibling(node: unknown) {
    return this.inner.nextSibling(node);
  }
  removeAttribute(el: unknown, name: string, namespace?: string | null) {
    this.inner.removeAttribute(el, name, namespace);
  }
  addClass(el: unknown, name: string) {
    this.inner.addClass(el, name);
  }
  removeClass(el: unknown, name: string) {
    this.inner.removeClass(el, name);
  }
  setStyle(el: unknown, style: string, value: unknown, flags?: RendererStyleFlags2) {
    this.inner.setStyle(el, style, value, flags);
  }
  removeStyle(el: unknown, style: string, flags?: RendererStyleFlags2) {
    this.inner.removeStyle(el, style, flags);
  }
  listen(
    target: 'window' | 'document' | 'body' | unknown,
    eventName: string,
    callback: (event: unknown) => boolean | void,
    options?: Parameters<Renderer2['listen']>[3],
  ) {
    return this.inner.listen(target, eventName, callback, options);
  }
}

class VisibleTextRendererFactory implements RendererFactory2 {
  /** One wrapper per renderer (the DOM factory keeps one per component type). */
  private readonly wrapped = new WeakMap<Renderer2, VisibleTextRenderer>();

  constructor(private readonly inner: RendererFactory2) {}

  createRenderer(hostElement: unknown, type: RendererType2 | null): Renderer2 {
    const renderer = this.inner.createRenderer(hostElement, type);
    let wrapper = this.wrapped.get(renderer);
    if (!wrapper) this.wrapped.set(renderer, (wrapper = new VisibleTextRenderer(renderer)));
    return wrapper;
  }
  begin() {
    this.inner.begin?.();
  }
  end() {
    this.inner.end?.();
  }
  whenRenderingDone() {
    return this.inner.whenRenderingDone?.() ?? Promise.resolve();
  }
}

/** Renders every text of the console with its controls visible (see {@link VisibleTextRenderer}). */
export function provideVisibleText(): Provider {
  return {
    provide: RendererFactory2,
    useFactory: () => new VisibleTextRendererFactory(inject(DomRendererFactory2)),
  };
}
