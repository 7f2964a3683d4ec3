import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Pipe,
  type PipeTransform,
  afterRenderEffect,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { DomSanitizer, type SafeHtml } from '@angular/platform-browser';
import { type Message, alternating, requestBody, toRequestParams } from './gen-params';
import { describeStats, generate, generationFailure } from './inference-client';
import { type ChatMessage, type ChatState, InferenceStore } from './inference.store';
import { renderMarkdown } from '../shared/markdown';

/** Model text as sanitised Markdown (DOMPurify in renderMarkdown, so Angular need not strip it again). */
@Pipe({ name: 'tyMarkdown' })
export class MarkdownPipe implements PipeTransform {
  private readonly sanitizer = inject(DomSanitizer);
  transform(text: string): SafeHtml {
    return this.sanitizer.bypassSecurityTrustHtml(renderMarkdown(text));
  }
}

/** Why an answer the user stopped is incomplete. */
const STOPPED = 'you stopped it';

/**
 * Multi-turn chat against `/chat/completions` (the full history is sent each turn). Assistant turns
 * render as sanitised Markdown; user turns as typed. The history is kept per base URL and model, and
 * each conversation generates on its own: an answer goes on streaming into its conversation while
 * another is shown, whose Send stays free.
 */
@Component({
  selector: 'ty-chat-tab',
  imports: [MarkdownPipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './chat-tab.component.html',
  styleUrls: ['./inference.css', './chat-tab.component.css'],
})
export class ChatTabComponent {
  protected readonly store = inject(InferenceStore);
  protected readonly draft = signal('');
  /** The generations under way, by the conversation each writes into (see InferenceStore.chatKey). */
  private readonly generating = signal<ReadonlyMap<string, AbortController>>(new Map());
  /** The shown conversation's generation: its Stop button, and no editing while it runs. */
  protected readonly controller = computed(() => this.generating().get(this.store.chatKey) ?? null);
  /** Index of the turn being edited, and its text. */
  protected readonly editing = signal<{ index: number; text: string } | null>(null);
  private readonly transcript = viewChild<ElementRef<HTMLElement>>('transcript');
  /** Keep the end of the transcript in view: the user is at the bottom, or has just asked. */
  private follow = true;
  private lastScrollTop = 0;

  constructor() {
    // After the new text is drawn: measured before it, a fast stream was never followed to its end.
    // The controller too: a turn's buttons come back when its answer ends, lengthening it.
    afterRenderEffect(() => {
      this.store.chat();
      this.controller();
      const el = this.transcript()?.nativeElement;
      if (el && this.follow) el.scrollTop = el.scrollHeight;
    });
  }

  /**
   * Wheeling up stops following at once: waiting for its scroll event, a token drawn in between
   * scrolled back to the end and the wheel was lost.
   */
  protected onWheel(event: WheelEvent, el: HTMLElement): void {
    if (event.deltaY < 0 && el.scrollHeight > el.clientHeight) this.follow = false;
  }

  /** Scrolling up stops following the stream; scrolling back to the end follows it again. */
  protected onScroll(el: HTMLElement): void {
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 24) this.follow = true;
    else if (el.scrollTop < this.lastScrollTop) this.follow = false;
    this.lastScrollTop = el.scrollTop;
  }

  protected setSystem(system: string): void {
    this.store.updateChat((c) => ({ ...c, system }));
  }

  protected send(): void {
    const text = this.draft();
    if (this.controller() || !text.trim()) return;
    this.draft.set('');
    this.store.updateChat((c) => ({ ...c, messages: [...c.messages, { role: 'user', content: text }] }));
    void this.run();
  }

  /** Drops the last answer and asks again. */
  protected regenerate(): void {
    const messages = this.store.chat().messages;
    if (this.controller() || !messages.length) return;
    const keep = messages.at(-1)!.role === 'assistant' ? messages.slice(0, -1) : messages;
    this.store.updateChat((c) => ({ ...c, messages: keep }));
    void this.run();
  }

  protected remove(index: number): void {
    this.store.updateChat((c) => ({ ...c, messages: c.messages.filter((_, i) => i !== index) }));
  }

  protected startEdit(index: number): void {
    this.editing.set({ index, text: this.store.chat().messages[index].content });
  }

  /** Saves the edited turn; a user turn also drops everything after it and asks again. */
  protected saveEdit(rerun: boolean): void {
    const edit = this.editing();
    if (!edit) return;
    this.editing.set(null);
    this.store.updateChat((c) => {
      const messages = c.messages.map((m, i) => (i === edit.index ? { ...m, content: edit.text } : m));
      return { ...c, messages: rerun ? messages.slice(0, edit.index + 1) : messages };
    });
    if (rerun) void this.run();
  }

  protected clear(): void {
    this.store.updateChat((c) => ({ ...c, messages: [], status: '', error: null }));
  }

  protected stop(): void {
    this.controller()?.abort();
  }

  private async run(): Promise<void> {
    // The answer, its status and its error go to the conversation asked in, even if another is shown
    // meanwhile (the base URL or model changed).
    const key = this.store.chatKey;
    // As asked: a failure names this model and its server's, whichever is shown by then.
    const [base, model, served] = [this.store.base(), this.store.model(), this.store.served()];
    const update = (fn: (c: ChatState) => ChatState, save = true) => this.store.updateChat(fn, { key, save });
    this.follow = true;
    const { params, errors } = toRequestParams(this.store.values());
    if (Object.keys(errors).length) {
      update((c) => ({ ...c, error: `Fix the parameters first: ${Object.values(errors).join('; ')}` }));
      return;
    }
    const { system, messages } = this.store.chat();
    const wire: Message[] = alternating([
      ...(system.trim() ? [{ role: 'system' as const, content: system }] : []),
      ...messages.map(({ role, content }) => ({ role, content })),
    ]);
    const controller = new AbortController();
    this.generating.update((m) => new Map(m).set(key, controller));
    update((c) => ({ ...c, status: 'Generating…', error: null }), false);
    const at = messages.length;
    let answer = '';
    // The answer so far, after the question; `cutOff` marks it, for as long as it is kept, when it
    // did not finish.
    const withAnswer = (c: ChatState, cutOff?: string | null): ChatMessage[] =>
      answer
        ? [...c.messages.slice(0, at), { role: 'assistant', content: answer, ...(cutOff ? { cutOff } : {}) }]
        : c.messages;
    try {
      const stats = await generate({
        endpoint: 'chat/completions',
        base,
        body: requestBody(model, params, this.store.stream(), { messages: wire }),
        signal: controller.signal,
        onText: (piece) => {
          answer += piece;
          update((c) => ({ ...c, messages: withAnswer(c) }), false); // saved once, at the end
        },
      });
      const cutOff = stats.stopped ? STOPPED : stats.cutOff;
      update((c) => ({
        ...c,
        messages: withAnswer(c, cutOff),
        status: describeStats(stats),
        error: stats.cutOff,
      }));
    } catch (err) {
      const error = generationFailure(err, model, served);
      update((c) => ({ ...c, messages: withAnswer(c, error), status: '', error }));
    } finally {
      this.generating.update((m) => {
        const rest = new Map(m);
        rest.delete(key);
        return rest;
      });
    }
  }
}
